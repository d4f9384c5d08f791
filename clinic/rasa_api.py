"""Rasa's HTTP API, as the web app and the action server use it.

Staff messages reach a patient's open chat through Rasa itself: a `bot` event
appended with execute_side_effects=true is stored in the conversation and sent
through the patient's latest channel (for socket.io, to the room of their
session). Handing a conversation back appends a `resume` event.
"""
import asyncio
from typing import Any, Dict, List, Optional

import aiohttp

from clinic import settings

STAFF = "clinic_staff"  # `from` in the metadata of a staff member's message
# While paused, Rasa stores the patient's messages without listening turns in
# between; a listening turn after resuming lets the rules take the next message.
LISTEN = {"event": "action", "name": "action_listen"}


class RasaApiError(RuntimeError):
    pass


class RasaApi:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    @classmethod
    def from_settings(cls) -> "RasaApi":
        return cls(settings.rasa_url(), settings.rasa_api_token())

    async def _post(self, path: str, body: Any) -> Any:
        params = {"token": self.token, "execute_side_effects": "true",
                  "output_channel": "latest"}
        timeout = aiohttp.ClientTimeout(total=30)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(f"{self.url}{path}", params=params, json=body) as response:
                    if response.status != 200:
                        raise RasaApiError(f"Rasa answered {response.status} to POST {path}")
                    return await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            # Not the error's own text: it may hold the URL with the API token.
            raise RasaApiError(f"Rasa could not be reached ({type(error).__name__})") from None

    async def append_events(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        await self._post(f"/conversations/{conversation_id}/tracker/events", events)

    async def send_staff_message(self, conversation_id: str, text: str, staff_name: str) -> None:
        await self.append_events(conversation_id, [{
            "event": "bot", "text": text,
            "metadata": {"from": STAFF, "staff_name": staff_name},
        }])

    async def resume(self, conversation_id: str, text: Optional[str] = None,
                     response: Optional[str] = None) -> None:
        """Resume the assistant, telling the patient (`text`) if given."""
        said = [] if text is None else [
            {"event": "bot", "text": text, "metadata": {"from": "assistant", "utter_action": response}}]
        await self.append_events(conversation_id, [{"event": "resume"}, *said, LISTEN])

    async def trigger_intent(self, conversation_id: str, intent: str) -> None:
        await self._post(f"/conversations/{conversation_id}/trigger_intent", {"name": intent})
