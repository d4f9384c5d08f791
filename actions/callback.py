"""The callback form: name, phone or email, best time, and consent to be contacted."""
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clinic_database import handoff_store
from clinic import settings

CALLBACK_SLOTS = ("callback_name", "callback_contact", "callback_time", "callback_consent")
MAX_NAME_LENGTH = 100
MAX_TIME_LENGTH = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
# Phone numbers: digits with optional +, spaces, dots, dashes and brackets; 7 to 15 digits.
PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().-]+$")


def normalised_contact(text: str) -> Optional[str]:
    """The phone number or email address in `text`, or None if it is neither."""
    text = text.strip()
    if EMAIL.match(text):
        return text.lower()
    digits = re.sub(r"\D", "", text)
    if PHONE_CHARACTERS.match(text) and 7 <= len(digits) <= 15:
        return ("+" if text.startswith("+") else "") + digits
    return None


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_callback_form"

    def validate_callback_name(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        name = " ".join(str(value or "").split())
        if not name or len(name) > MAX_NAME_LENGTH or not re.search(r"[^\W\d_]", name):
            dispatcher.utter_message(response="utter_invalid_callback_name")
            return {"callback_name": None}
        return {"callback_name": name}

    def validate_callback_contact(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        contact = normalised_contact(str(value or ""))
        if contact is None:
            dispatcher.utter_message(response="utter_invalid_callback_contact")
        return {"callback_contact": contact}

    def validate_callback_time(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        best_time = " ".join(str(value or "").split())
        if not best_time or len(best_time) > MAX_TIME_LENGTH:
            dispatcher.utter_message(response="utter_invalid_callback_time")
            return {"callback_time": None}
        return {"callback_time": best_time}


class ActionSaveCallbackRequest(Action):
    """Store the request (only with consent), confirm it, and clear the form's slots."""

    def name(self) -> Text:
        return "action_save_callback_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        cleared = [SlotSet(slot, None) for slot in CALLBACK_SLOTS]
        if tracker.get_slot("callback_consent") is not True:
            dispatcher.utter_message(response="utter_callback_not_saved_without_consent")
            return cleared
        callback = handoff_store().add_callback(
            tracker.sender_id, tracker.get_slot("callback_name"),
            tracker.get_slot("callback_contact"), tracker.get_slot("callback_time"),
            consent=True)
        dispatcher.utter_message(
            response="utter_callback_saved", name=callback["name"],
            contact=callback["contact"], best_time=callback["best_time"],
            hours=settings.clinic_contact().hours)
        return cleared
