"""The emergency guidance, one mechanism for the three ways it reaches a patient.

A patient's emergency gets the domain's `utter_emergency` at once:
- by the rule (data/rules/people_and_safety.yml), through Rasa's responses
  (clinic/response_generator.py);
- while the conversation waits for staff, from action_watch_paused_conversation
  (actions/handoff.py), which passes it in through Rasa's HTTP API;
- from the socket.io channel itself, before Rasa's turn, when the patient's
  earlier message is still being answered or the emergency is over a limit
  (clinic/patient_channel.py).

Each path fills `{emergency_number}` in the text from settings/clinic.yml
(`emergency_number`, e.g. "911"; unset: "your local emergency number") and
sends the message with the same metadata: `utter_action` "utter_emergency",
and `emergency_number` when one is set. The chat widget shows a message with
that metadata as an alert, with a tap-to-call link to the number (the REST
channel's answers and the chat history carry the same metadata).

A bad emergency_number is a clear error in `make validate`; at run time the
guidance must go out all the same, so it then says "your local emergency
number" and the error is logged.
"""
import logging
from typing import Any, Dict, Optional

from clinic import settings

logger = logging.getLogger(__name__)

RESPONSE = "utter_emergency"
PLACEHOLDER = "emergency_number"  # {emergency_number} in a response's text
GENERIC_NUMBER = "your local emergency number"


def configured_number() -> Optional[str]:
    """settings/clinic.yml's emergency number, or None when unset or unusable."""
    try:
        return settings.emergency_number()
    except Exception as error:  # never stop the guidance over a setting
        logger.error("The emergency guidance names %r instead of the configured "
                     "emergency number: %s", GENERIC_NUMBER, error)
        return None


def call_phrase(number: Optional[str]) -> str:
    """What the patient is told to call."""
    return number or GENERIC_NUMBER


def fill(text: str, number: Optional[str]) -> str:
    """A response text with {emergency_number} filled in."""
    return text.replace("{" + PLACEHOLDER + "}", call_phrase(number))


def metadata(number: Optional[str]) -> Dict[str, Any]:
    """What marks a bot message as the emergency guidance for the chat widget."""
    return {"utter_action": RESPONSE, **({PLACEHOLDER: number} if number else {})}


def guidance(template: str) -> Dict[str, Any]:
    """The guidance as the channel sends it: {"text", "metadata"}, from the
    loaded model's (or our own domain's) `utter_emergency` text."""
    number = configured_number()
    return {"text": fill(template, number), "metadata": metadata(number)}
