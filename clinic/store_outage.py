"""What a patient hears when their message can't be handled because a store is down.

With the production stores (endpoints.production.yml) a message whose
conversation can't be read or saved (database down, clinic/tracker_store.py)
or locked (Redis down, clinic/lock_store.py) raises instead of being handled
without them. Rasa's channels would then answer nothing (socket.io) or an
empty list (REST), and log the patient's text. A channel wraps its
`on_new_message` in `answering_store_outages`: the patient is told the message
was not kept and to send it again shortly; the log says why, without the text.
"""
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError

from clinic import emergency
from clinic.tracker_store import TrackerStoreUnavailable

logger = logging.getLogger(__name__)


def try_again_shortly() -> str:
    # A message that was not handled might have been an emergency.
    call = emergency.call_phrase(emergency.configured_number())
    return ("Sorry, I can't answer right now because of a technical problem, and your "
            "message was not saved. Please send it again in a minute. "
            f"If this is an emergency, call {call} now.")


def answering_store_outages(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    async def handle(message: UserMessage) -> Any:
        try:
            return await on_new_message(message)
        except (TrackerStoreUnavailable, LockError) as error:
            logger.error("A patient's message was not handled: %s", error)
            await message.output_channel.send_response(
                message.sender_id, {"text": try_again_shortly()})
            return None

    return handle
