"""What a stored Rasa tracker event says, as a line of a conversation's transcript.

Rasa's SQL tracker store keeps every event as the JSON of its `as_dict()` in
the `events` table. Messages are two kinds of event:
- `user`: the patient's message, with the intent and its confidence in
  `parse_data`. Rasa's two-stage fallback stores a clarified message a second
  time, with the same `message_id`; the transcript shows it once. A clicked
  button's text is its payload (the index shows its title instead, see
  clinic/button_titles.py).
- `bot`: the assistant's message or a staff member's. An answer quoted from a
  treatment page carries its sections and source caption in
  `metadata.metadata` (actions/answers.py), and its text ends with the
  caption; a staff member's message has `metadata.from` "clinic_staff" and
  `staff_name` (clinic/rasa_api.py); a response's name is `utter_action`;
  the buttons offered are in `data.buttons`.
Everything else (actions, slots, pauses, intents triggered by the web app) is
not a message. A malformed event is skipped, never an error.

A patient's message that came while a form (Rasa's active loop) was asking for
a slot is an answer to the form's question (a name, a phone number, "tomorrow
morning"), not a question for the NLU: whatever intent it got, it is no
fallback. An emergency is never an answer: it is read as one in every state.
`form_state_after()` follows the `active_loop` and `requested_slot` events
that tell which question a form is asking.
"""
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Optional, Tuple

from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.core.constants import IS_EXTERNAL, REQUESTED_SLOT

from clinic.button_titles import Button, buttons_of
from clinic.rasa_api import STAFF

PATIENT, ASSISTANT, STAFF_MEMBER = "patient", "assistant", "staff"
EMERGENCY_INTENT = "report_emergency"  # the intent contract (design.md)
FALLBACK_INTENT = DEFAULT_NLU_FALLBACK_INTENT_NAME
# The responses of Rasa's fallback actions: action_default_ask_rephrase (the
# two-stage fallback's second step) and action_default_fallback.
FALLBACK_RESPONSES = ("utter_ask_rephrase", "utter_default")


@dataclass(frozen=True)
class Message:
    event_id: int
    sender_id: str
    timestamp: datetime
    sender: str  # PATIENT, ASSISTANT or STAFF_MEMBER
    text: str
    intent: Optional[str] = None  # patient messages
    confidence: Optional[float] = None
    rasa_message_id: Optional[str] = None
    button_payload: Optional[str] = None  # a clicked button's; `text` is then its title
    response: Optional[str] = None  # assistant messages: the response's name
    buttons: Tuple[Button, ...] = ()  # assistant messages: the buttons offered
    source: Optional[str] = None  # answers: "Source: the clinic's ... page, ..."
    sections: Tuple[str, ...] = ()
    staff_name: Optional[str] = None  # staff messages
    form_slot: Optional[str] = None  # patient messages: the slot a form was asking for

    @property
    def fallback(self) -> bool:
        """Not understood: the patient's message was nlu_fallback (but not an
        answer to a form's question), or this is the assistant asking to
        rephrase, or offering staff after failing again."""
        return ((self.intent == FALLBACK_INTENT and self.form_slot is None)
                or self.response in FALLBACK_RESPONSES)


@dataclass(frozen=True)
class FormState:
    """Which form is active in a conversation, and the slot it asks for."""
    active_loop: Optional[str] = None
    requested_slot: Optional[str] = None

    @property
    def asking(self) -> Optional[str]:
        """The slot an active form is asking for: the next message answers it."""
        return self.requested_slot if self.active_loop else None


NO_FORM = FormState()


def form_state_after(state: FormState, type_name: str, data: Optional[str]) -> FormState:
    """The conversation's form state after a row of Rasa's `events` table."""
    if type_name in ("restart", "session_started"):
        return NO_FORM
    if type_name == "reset_slots":
        return FormState(state.active_loop)
    if type_name not in ("active_loop", "slot"):
        return state
    try:
        event = json.loads(data or "")
    except ValueError:
        return state
    if not isinstance(event, dict):
        return state
    if type_name == "active_loop":
        return FormState(_text(event.get("name")), state.requested_slot)
    if event.get("name") == REQUESTED_SLOT:
        return FormState(state.active_loop, _text(event.get("value")))
    return state


def message_from_event(event_id: int, sender_id: str, type_name: str,
                       timestamp: Optional[float], data: Optional[str],
                       form: FormState = NO_FORM) -> Optional[Message]:
    """The message a row of Rasa's `events` table holds, or None; `form` is
    the conversation's form state when it came."""
    if type_name not in ("user", "bot"):
        return None
    try:
        event = json.loads(data or "")
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("text"), str):
        return None
    text = event["text"].strip()
    metadata = _dict(event.get("metadata"))
    if not text or metadata.get(IS_EXTERNAL):
        return None
    common = {"event_id": event_id, "sender_id": sender_id, "timestamp": _moment(timestamp)}
    if type_name == "user":
        return _patient_message(common, text, event, form.asking)
    if metadata.get("from") == STAFF:
        return Message(**common, sender=STAFF_MEMBER, text=text,
                       staff_name=_text(metadata.get("staff_name")))
    quoted = _dict(metadata.get("metadata"))
    source = _text(quoted.get("source"))
    if source and text.endswith(source):  # shown once, as the caption
        text = text[:-len(source)].rstrip() or text
    sections = quoted.get("sections")
    return Message(
        **common, sender=ASSISTANT, text=text, response=_text(metadata.get("utter_action")),
        buttons=buttons_of(event.get("data")),
        source=source, sections=tuple(s for s in sections if isinstance(s, str))
        if isinstance(sections, list) else ())


def _patient_message(common: Dict[str, Any], text: str, event: Dict[str, Any],
                     form_slot: Optional[str]) -> Message:
    intent = _dict(_dict(event.get("parse_data")).get("intent"))
    confidence = intent.get("confidence")
    message_id = event.get("message_id") or _dict(event.get("parse_data")).get("message_id")
    return Message(
        **common, sender=PATIENT, text=text, intent=_text(intent.get("name")),
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        rasa_message_id=_text(message_id),
        form_slot=None if intent.get("name") == EMERGENCY_INTENT else form_slot)


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _moment(timestamp: Optional[float]) -> datetime:
    try:
        return datetime.fromtimestamp(float(timestamp), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):  # never written by Rasa
        return datetime.fromtimestamp(0, timezone.utc)
