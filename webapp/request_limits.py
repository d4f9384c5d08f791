"""Request bodies of the web app are at most WEB_MAX_REQUEST_BYTES: a bigger
one is answered 413 before the app reads it into memory (by its Content-Length,
or, sent in chunks, as soon as it passes the limit)."""
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinic import settings

TOO_LARGE = "The request is too large."


class RequestSizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.max_bytes = settings.web_max_request_bytes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Answered by the app's own error handler, as any HTTP error.
                raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, counted_receive, send)
