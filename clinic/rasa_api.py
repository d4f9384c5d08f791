"""Rasa's HTTP API, as the web app, the action server and model promotion use it.

Staff messages reach a patient's open chat through Rasa itself: a `bot` event
appended with execute_side_effects=true is stored in the conversation and sent
through the patient's latest channel (for socket.io, to the room of their
session). Handing a conversation back appends a `resume` event.
"""
import asyncio
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp
from yarl import URL

from clinic import settings

STAFF = "clinic_staff"  # `from` in the metadata of a staff member's message
# `handoff` in a message's metadata: where the chat stands with staff, for the
# widget (also set by the domain's responses, domain/handoff.yml).
JOINED, ENDED = "joined", "ended"
# While paused, Rasa stores the patient's messages without listening turns in
# between; a listening turn after resuming lets the rules take the next message.
LISTEN = {"event": "action", "name": "action_listen"}


# Loading a model with its language models takes a while on a busy server.
MODEL_LOAD_SECONDS = 300


class RasaApiError(RuntimeError):
    pass


async def _reason(response: aiohttp.ClientResponse) -> str:
    """Our endpoints' {"error": ...}, as ': ...'; nothing for Rasa's own."""
    try:
        body = await response.json()
    except (aiohttp.ContentTypeError, ValueError):
        return ""
    return f": {body['error']}" if isinstance(body, dict) and "error" in body else ""


class RasaUnreachable(RasaApiError):
    """No connection: nothing listens there (the server isn't running), or no network."""


# What a path segment may hold as it is (RFC 3986 pchar, besides letters, digits
# and -._~): Rasa (Sanic) takes the id from the path without decoding it, so an
# id such as "patient@example.org" must reach it unencoded to be the same id.
SEGMENT_SAFE = "!$&'()*+,;=:@"


def conversation_path(conversation_id: str, route: str) -> str:
    """/conversations/<id>/<route>, the id one path segment whatever it holds:
    "/", "?", "#" and "%" encoded, and "." or ".." (which quote leaves as they
    are) dot-encoded. Sent as built (see _request): yarl would decode %2E and
    drop dot segments."""
    segment = quote(conversation_id, safe=SEGMENT_SAFE)
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    return f"/conversations/{segment}/{route}"


class RasaApi:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    @classmethod
    def from_settings(cls) -> "RasaApi":
        return cls(settings.rasa_url(), settings.rasa_api_token())

    async def _request(self, method: str, path: str, body: Any = None,
                       params: Optional[Dict[str, str]] = None, seconds: float = 30) -> Any:
        timeout = aiohttp.ClientTimeout(total=seconds)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.request(method, URL(f"{self.url}{path}", encoded=True),
                                           json=body,
                                           params={"token": self.token, **(params or {})}
                                           ) as response:
                    if response.status not in (200, 204):
                        raise RasaApiError(f"Rasa answered {response.status} to {method} {path}"
                                           + await _reason(response))
                    return await response.json() if response.status == 200 else None
        except aiohttp.ClientConnectorError as error:
            # Not the error's own text: it may hold the URL with the API token.
            raise RasaUnreachable(f"Rasa could not be reached ({type(error).__name__})") from None
        except asyncio.TimeoutError:
            raise RasaApiError(f"Rasa did not answer {method} {path} within {seconds:.0f} s") from None
        except aiohttp.ClientError as error:
            raise RasaApiError(f"Rasa could not be reached ({type(error).__name__})") from None

    async def _post(self, path: str, body: Any) -> Any:
        return await self._request("POST", path, body, {"execute_side_effects": "true",
                                                        "output_channel": "latest"})

    async def load_model(self, model_file: str) -> None:
        """Switch the server to a model our training built (clinic/model_loading.py):
        it loads beside the running one, which answers meanwhile, then replaces it;
        conversations stay in the tracker store, so open ones carry on."""
        await self._request("POST", "/webhooks/model_loader/load", {"model_file": model_file},
                            seconds=MODEL_LOAD_SECONDS)

    async def model_file(self) -> str:
        """The file name of the model the server runs (GET /status)."""
        return (await self._request("GET", "/status"))["model_file"]

    async def append_events(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        await self._post(conversation_path(conversation_id, "tracker/events"), events)

    async def wait_for_turn(self, conversation_id: str) -> None:
        """Return once Rasa has finished any message it is answering in this
        conversation: replacing its events with none takes the conversation's
        lock, and saves nothing (Rasa's SQL store only ever adds events)."""
        await self._request("PUT", conversation_path(conversation_id, "tracker/events"), [])

    async def send_staff_message(self, conversation_id: str, text: str, staff_name: str,
                                 handoff: Optional[str] = None) -> None:
        """A staff member's message; `handoff` JOINED when it says they joined."""
        metadata = {"from": STAFF, "staff_name": staff_name}
        if handoff:
            metadata["handoff"] = handoff
        await self.append_events(conversation_id, [{"event": "bot", "text": text,
                                                    "metadata": metadata}])

    async def resume(self, conversation_id: str,
                     message: Optional[Dict[str, Any]] = None) -> None:
        """Resume the assistant, telling the patient (`message`, a `bot` event) if given."""
        said = [] if message is None else [message]
        await self.append_events(conversation_id, [{"event": "resume"}, *said, LISTEN])

    async def trigger_intent(self, conversation_id: str, intent: str) -> None:
        await self._post(conversation_path(conversation_id, "trigger_intent"), {"name": intent})
