"""What a patient may send: a message of bounded length, at a bounded rate per
conversation and per IP address, while not too many messages from the address
wait for an answer. A message over a limit is not passed to Rasa; the patient
gets a polite answer instead, which always points to emergency services.

An emergency (a message with a red flag) is passed on however many messages
of its address wait: those are other patients' maybe, behind one clinic's NAT.
Over a rate or length limit it is not (else adding "chest pain" to every message
would lift the limits), but its answer is the emergency guidance itself, not
"too fast"."""
from dataclasses import dataclass
from typing import Optional

from clinic import settings
from clinic.in_flight import InFlight
from clinic.rate_limits import RateLimit
from clinic.red_flags import RedFlags

EMERGENCY = "If this is an emergency, call your local emergency number now."
UNREADABLE = f"Sorry, I couldn't read that message. Please type your question again. {EMERGENCY}"
TOO_FAST = ("You're sending messages faster than I can answer. Please wait a minute, "
            f"then send your message again. {EMERGENCY}")
PLEASE_WAIT = ("I'm still answering the messages sent before this one. Please wait for my "
               f"answer, then send it again. {EMERGENCY}")


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
    in_flight: InFlight  # per address
    red_flags: RedFlags

    @classmethod
    def from_settings(cls) -> "PatientLimits":
        return cls(settings.patient_max_message_chars(),
                   RateLimit(settings.patient_messages_per_minute(), 60),
                   RateLimit(settings.patient_messages_per_minute_per_ip(), 60),
                   InFlight(settings.patient_messages_in_flight_per_ip()),
                   RedFlags.load(settings.red_flags_file()))

    def refusal(self, message: object, conversation_id: str, address: str,
                emergency_guidance: str) -> Optional[str]:
        """Why `message` is not passed on, as the patient is told; None to pass it
        on (then within `in_flight.answering(address)`)."""
        if not is_text(message):
            return UNREADABLE
        refusal = self._refusal(message, conversation_id, address)
        # Only the part a message may have is searched: the search costs by length.
        if refusal and self.red_flags.find(message[:self.max_chars]) is not None:
            return emergency_guidance
        return refusal

    def _refusal(self, message: str, conversation_id: str, address: str) -> Optional[str]:
        if len(message) > self.max_chars:
            return too_long(self.max_chars)
        # The in-flight limit first: a message it refuses uses no rate limit's
        # share. One the conversation's limit refuses has used the address's.
        if self.in_flight.full(address) and self.red_flags.find(message) is None:
            return PLEASE_WAIT
        if not self.per_address.allow(address) or not self.per_conversation.allow(conversation_id):
            return TOO_FAST
        return None
