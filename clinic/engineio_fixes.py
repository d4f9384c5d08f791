"""Changes to the engine.io transport under Rasa's socket.io channel, for the
versions in clinic/library_versions.py: two fixes found by tests/test_fuzz.py,
and binary packets refused."""
import logging
from typing import Any, Optional, Text

from sanic import response
from socketio import packet

from clinic import library_versions

logger = logging.getLogger(__name__)

# A socket.io packet announcing binary attachments (the engine.io binary
# messages that follow it) starts with its type.
BINARY_HEADERS = (str(packet.BINARY_EVENT), str(packet.BINARY_ACK))


def harden(eio: Any) -> None:
    library_versions.require("python-engineio", "python-socketio")
    _close_without_waiting(eio)
    _refuse_closed_sessions(eio)
    _refuse_binary_packets(eio)


def _close_without_waiting(eio: Any) -> None:
    # A socket that sent a packet engine.io doesn't know is disconnected, and
    # the POST that carried it waited until the client's next poll took the
    # close packet: a client that never polls again held the request, and its
    # memory, forever.
    async def disconnect(sid: Optional[Text] = None) -> None:
        socket = eio.sockets.pop(sid, None) if sid is not None else None
        if socket is not None:
            await socket.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
        elif sid is None:
            await everyone()

    everyone = eio.disconnect
    eio.disconnect = disconnect


def _refuse_closed_sessions(eio: Any) -> None:
    # A request for a session that is closed but not yet forgotten (e.g. after
    # the client sent a close packet) raised KeyError, so a 500: it gets the
    # 400 an unknown session gets.
    handle_request = eio.handle_request

    async def handle(*args: Any, **kwargs: Any) -> Any:
        try:
            return await handle_request(*args, **kwargs)
        except KeyError:
            return response.text("Invalid session", status=400)

    eio.handle_request = handle


def _refuse_binary_packets(eio: Any) -> None:
    # The chat sends socket.io packets as JSON text only. socket.io keeps a
    # binary packet's attachments until as many as it announced (up to 10
    # digits' worth) have arrived: one socket could pile up memory as long as it
    # stays connected. A socket sending one is disconnected before socket.io
    # sees it, and so is one whose packet socket.io can't read (engine.io hands
    # over `4{}` or `49` parsed, as a dict or a number): a traceback a packet
    # would have filled the log at no cost to the sender.
    handle_message = eio.handlers["message"]

    async def handle(sid: Text, data: Any) -> Any:
        if not isinstance(data, str) or data.startswith(BINARY_HEADERS):
            logger.warning("Disconnected a chat socket that sent a binary packet")
            await eio.disconnect(sid)
            return None
        try:
            return await handle_message(sid, data)
        except (ValueError, TypeError, KeyError, IndexError) as error:
            logger.warning("Disconnected a chat socket that sent a packet socket.io "
                           "can't read (%s)", type(error).__name__)
            await eio.disconnect(sid)
            return None

    eio.on("message", handle)
