"""The clinic's contact details, from settings/clinic.yml."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from clinic import settings


def utter_clinic_contact(dispatcher: CollectingDispatcher) -> None:
    contact = settings.clinic_contact()
    dispatcher.utter_message(
        response="utter_clinic_contact",
        phone=contact.phone,
        email=contact.email,
        hours=contact.hours,
    )


class ActionShareClinicContact(Action):
    def name(self) -> Text:
        return "action_share_clinic_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        utter_clinic_contact(dispatcher)
        return []
