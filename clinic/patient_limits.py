"""What a patient may send: a message of bounded length, at a bounded rate per
conversation and per IP address. A message over a limit is not passed to Rasa;
the patient gets a polite answer instead (which always points to emergency
services: a refused message might have been an emergency)."""
from dataclasses import dataclass
from typing import Optional

from clinic import settings
from clinic.rate_limits import RateLimit

EMERGENCY = "If this is an emergency, call your local emergency number now."
UNREADABLE = f"Sorry, I couldn't read that message. Please type your question again. {EMERGENCY}"
TOO_FAST = ("You're sending messages faster than I can answer. Please wait a minute, "
            f"then send your message again. {EMERGENCY}")


def is_text(value: object) -> bool:
    """A string a keyboard can make: none with a NUL or a lone surrogate, which
    databases refuse (and Rasa's SQL tracker store then stops the whole server)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def too_long(max_chars: int) -> str:
    return (f"Sorry, your message is too long for me: please keep it under {max_chars:,} "
            f"characters. {EMERGENCY}")


@dataclass
class PatientLimits:
    max_chars: int
    per_conversation: RateLimit
    per_address: RateLimit

    @classmethod
    def from_settings(cls) -> "PatientLimits":
        return cls(settings.patient_max_message_chars(),
                   RateLimit(settings.patient_messages_per_minute(), 60),
                   RateLimit(settings.patient_messages_per_minute_per_ip(), 60))

    def refusal(self, message: object, conversation_id: str, address: str) -> Optional[str]:
        """Why `message` is not passed on, as the patient is told; None to pass it on."""
        if not is_text(message):
            return UNREADABLE
        if len(message) > self.max_chars:
            return too_long(self.max_chars)
        # Per address first: a refused message doesn't use up its conversation's share.
        if not self.per_address.allow(address) or not self.per_conversation.allow(conversation_id):
            return TOO_FAST
        return None
