"""Handing a conversation to clinic staff, inside the same chat.

During opening hours the request joins the staff queue and the conversation is
paused (Rasa's ConversationPaused): Rasa keeps storing the patient's messages
for staff and the bot stays silent. Outside hours, the callback form follows.
While paused, action_watch_paused_conversation (a custom slot mapping, which
Rasa runs paused or not, on the intents it lists) still answers an emergency
at once and lets the patient cancel.

Rasa keeps only the slot events of a slot-mapping action, so the watch sends
its replies through Rasa's HTTP API instead, right after Rasa has stored the
patient's message and released the conversation's lock; their texts come from
our own domain files (actions/own_responses.py), not from the call.
"""
import asyncio
import logging
from typing import Any, Coroutine, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic_database import handoff_store
from actions.own_responses import bot_event, response_text
from actions.tracker_intents import latest_intent, user_intents
from clinic import emergency, settings
from clinic.button_titles import ButtonTitles, buttons_of
from clinic.database import utc_now
from clinic.handoff_store import CLAIMED, WAITING, QueuePlace
from clinic.rasa_api import RasaApi

logger = logging.getLogger(__name__)

# Why a patient is handed over, from what they said before asking for staff.
REASONS = {
    "complain_unhelpful": "patient unhappy with the answers",
    "ask_cost": "question about cost (not on the page)",
    "ask_appointment": "question about appointments (not on the page)",
    "nlu_fallback": "assistant could not understand",
    "out_of_scope": "assistant could not understand",
}
ASKED_FOR_A_PERSON = "patient asked for a person"
EMERGENCY = "emergency reported"
MESSAGES_IN_SUMMARY = 5
# Background tasks must be referenced until they finish (asyncio keeps weak references).
_pending_tasks: set = set()


def conversation_summary(tracker: Tracker) -> Dict[str, Any]:
    """What staff read first: the patient's last messages and the topics discussed."""
    topics = [intent for intent in user_intents(tracker) if intent.startswith("ask_")]
    return {
        "last_messages": _patient_messages(tracker.events)[-MESSAGES_IN_SUMMARY:],
        "topics": list(dict.fromkeys(topics)),
    }


def _patient_messages(events: List[Dict[str, Any]]) -> List[str]:
    """What the patient said, oldest first, as staff read it: a button click as
    the button's title, and a message Rasa's two-stage fallback stored again
    (with the same message id) once."""
    titles, seen, said = ButtonTitles(), set(), []
    for event in events:
        if event.get("event") == "bot":
            titles.offer(buttons_of(event.get("data")))
        elif event.get("event") == "user" and event.get("text"):
            message_id = event.get("message_id")
            if message_id and message_id in seen:
                continue
            seen.add(message_id)
            said.append(titles.title_of(event["text"]) or event["text"])
    return said


def handoff_reason(tracker: Tracker) -> str:
    intents = user_intents(tracker)
    earlier = intents[-2] if len(intents) >= 2 else None
    return REASONS.get(earlier, ASKED_FOR_A_PERSON)


class ActionHandOverToStaff(Action):
    def name(self) -> Text:
        return "action_hand_over_to_staff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        hours = settings.opening_hours()
        now = utc_now()
        if not hours.is_open(now):
            opening = hours.next_opening(now)
            if opening is None:
                dispatcher.utter_message(response="utter_clinic_closed")
            else:
                dispatcher.utter_message(response="utter_clinic_closed_until",
                                         next_opening=hours.describe_opening(opening, now))
            dispatcher.utter_message(response="utter_offer_callback")
            return [SlotSet("staff_available", False)]
        place = handoff_store().request_handoff(
            tracker.sender_id, handoff_reason(tracker), urgent=False,
            summary=conversation_summary(tracker))
        dispatcher.utter_message(response="utter_staff_will_join", **_wait(place))
        return [SlotSet("staff_available", True), ConversationPaused()]


def flag_emergency(tracker: Tracker) -> Optional[Tuple[str, Dict[str, str]]]:
    """Put the conversation at the top of the staff queue (an urgent request,
    which stays there until a member of staff deals with it: no claim timeout
    turns it into a callback offer). Returns what the patient is then told
    about what the clinic will do (a response and its values), the first time
    only: None when the request was urgent already or a member of staff is in
    the chat."""
    store = handoff_store()
    before = store.active_request(tracker.sender_id)
    store.mark_urgent(tracker.sender_id, EMERGENCY, conversation_summary(tracker))
    if before is not None and (before["urgent"] or before["status"] == CLAIMED):
        return None
    hours = settings.opening_hours()
    now = utc_now()
    if hours.is_open(now):
        return "utter_emergency_staff_alerted", {}
    opening = hours.next_opening(now)
    if opening is None:
        return "utter_emergency_clinic_closed", {}
    return "utter_emergency_clinic_closed_until", {
        "next_opening": hours.describe_opening(opening, now)}


def _wait(place: QueuePlace) -> Dict[str, int]:
    """The place in the queue as the waiting messages say it."""
    minutes = (place.patients_ahead + 1) * settings.handoff_settings().minutes_per_waiting_patient
    return {"patients_ahead": place.patients_ahead, "wait_minutes": minutes}


class ActionFlagEmergencyForStaff(Action):
    """After the emergency guidance: the conversation goes to the top of the staff
    queue, and the patient is told what the clinic will do."""

    def name(self) -> Text:
        return "action_flag_emergency_for_staff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        told = flag_emergency(tracker)
        if told:
            response, values = told
            dispatcher.utter_message(response=response, **values)
        return []


class ActionWatchPausedConversation(Action):
    """Runs on every emergency, cancelled request and request for staff (custom
    slot mapping of `paused_watch`, limited to those intents in domain/handoff.yml).

    While the conversation waits for staff, it answers an emergency at once and
    makes the request urgent, lets the patient cancel and get the assistant
    back, and answers a second request for staff with the first one's place in
    the queue (the request stays one). Otherwise it does nothing.
    """

    def name(self) -> Text:
        return "action_watch_paused_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if not tracker.is_paused():
            return []
        intent = latest_intent(tracker)
        if intent == "report_emergency":
            told = flag_emergency(tracker)
            events = [_emergency_event()]
            if told:
                response, values = told
                events.append(bot_event(response, **values))
            _soon(RasaApi.from_settings().append_events(tracker.sender_id, events))
        elif intent == "cancel_staff_request":
            handoff_store().cancel(tracker.sender_id)
            _soon(RasaApi.from_settings().resume(
                tracker.sender_id, bot_event("utter_staff_request_cancelled")))
        elif intent == "request_human":
            place = handoff_store().place(tracker.sender_id)
            # Once claimed, staff are in the chat and read the message themselves.
            if place is not None and place.request["status"] == WAITING:
                _soon(RasaApi.from_settings().append_events(
                    tracker.sender_id, [bot_event("utter_staff_still_waiting", **_wait(place))]))
        return []


def _emergency_event() -> Dict[str, Any]:
    """The guidance as the rule's utter_emergency gives it (clinic/emergency.py)."""
    guidance = emergency.guidance(response_text(emergency.RESPONSE))
    return {"event": "bot", "text": guidance["text"],
            "metadata": {"from": "assistant", **guidance["metadata"]}}


def _soon(call: Coroutine) -> None:
    """Run a call to Rasa's API once Rasa has finished with the current message
    (it holds the conversation's lock until then)."""
    task = asyncio.create_task(_logging_failures(call))
    _pending_tasks.add(task)
    task.add_done_callback(_pending_tasks.discard)


async def _logging_failures(call: Coroutine) -> None:
    try:
        await call
    except Exception:  # logged, not raised: nobody awaits this task
        logger.exception("Could not pass a message into a paused conversation")
