"""Two fixes to the engine.io transport under Rasa's socket.io channel
(python-engineio 4.7.1, as Rasa's pins hold it), both found by tests/test_fuzz.py."""
from typing import Any, Optional, Text

from sanic import response


def harden(eio: Any) -> None:
    _close_without_waiting(eio)
    _refuse_closed_sessions(eio)


def _close_without_waiting(eio: Any) -> None:
    # A socket that sent a packet engine.io doesn't know is disconnected, and
    # the POST that carried it waited until the client's next poll took the
    # close packet: a client that never polls again held the request, and its
    # memory, forever.
    async def disconnect(sid: Optional[Text] = None) -> None:
        socket = eio.sockets.pop(sid, None) if sid is not None else None
        if socket is not None:
            await socket.close(wait=False)
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
