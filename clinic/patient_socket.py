"""A patient's chat over Rasa's socket.io channel, as the website widget talks to it."""
import queue
import time
import uuid
from typing import Any, Dict, List, Optional

import requests
import socketio
from requests.adapters import HTTPAdapter


class _FromAddress(HTTPAdapter):
    """Connections from one local address (another "machine" on loopback)."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, source_address=(self._address, 0), **kwargs)


def _session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    session.mount("https://", _FromAddress(address))
    return session


class PatientSocket:
    """Connects and asks for a session (to resume one: its id and token):
    `session_id` and `token` (the server's answer) and `history` (the chat so
    far) are set once the server has confirmed it. `from_address`: the local
    address to connect from (e.g. 127.0.0.2), else the system's choice."""

    def __init__(self, rasa_url: str, session_id: Optional[str] = None,
                 origin: Optional[str] = None, token: Optional[str] = None,
                 headers: Optional[Dict[str, str]] = None,
                 from_address: Optional[str] = None) -> None:
        self.received: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.client = socketio.Client(
            reconnection=False,
            http_session=_session_from(from_address) if from_address else None)
        self.client.on("bot_uttered", lambda message: self.received.put(
            {**message, "received_at": time.monotonic()}))
        confirmed: "queue.Queue[Dict[str, str]]" = queue.Queue()
        histories: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.client.on("session_confirm", confirmed.put)
        self.client.on("chat_history", histories.put)
        # Polling transport: the websocket transport needs a package Rasa doesn't ship.
        self.client.connect(rasa_url, transports=["polling"], socketio_path="socket.io",
                            headers={**({"Origin": origin} if origin else {}), **(headers or {})})
        self.client.emit("session_request", {"session_id": session_id or uuid.uuid4().hex,
                                             "token": token})
        session = confirmed.get(timeout=10)
        self.session_id: str = session["session_id"]
        self.token: str = session["token"]
        self.history: List[Dict[str, Any]] = histories.get(timeout=10)["messages"]

    def say(self, text: Any) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    def next_message(self, timeout: float = 30) -> Dict[str, Any]:
        return self.received.get(timeout=timeout)

    def messages_for(self, seconds: float) -> List[Dict[str, Any]]:
        """Everything that arrives within `seconds` (for checking that the bot is silent)."""
        deadline = time.monotonic() + seconds
        found = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                found.append(self.received.get(timeout=left))
            except queue.Empty:
                break
        return found

    def wait_for(self, text: str, timeout: float = 30) -> Dict[str, Any]:
        """The first message containing `text`; earlier ones are skipped."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self.received.get(timeout=left)
            if text in message.get("text", ""):
                return message
        raise AssertionError(f"no message with {text!r} within {timeout} s")

    def close(self) -> None:
        # Without waiting for the poll in flight: python-engineio's server
        # answers it only at its ping timeout after a client's close packet, and
        # the client's disconnect() waits for it (30 s a socket).
        self.client.eio.disconnect(abort=True)
