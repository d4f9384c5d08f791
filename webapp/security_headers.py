"""Response headers on everything the web app answers: never framed, no
referrer to other sites, no guessing of content types, only this origin's own
files (no inline scripts or styles), and over https, HSTS. The staff console's
pages and API show patients' health data: nothing of theirs is cached. The
clinic's pages also allow the chat widget: its script and styles from
WEB_PUBLIC_URL, its connection to Rasa's socket.io channel at WIDGET_SOCKET_URL."""
import logging
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response

from clinic import settings
from webapp.staff_auth import is_staff_api, is_staff_page

HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
STAFF_HEADERS = {"Cache-Control": "no-store"}
HSTS = "max-age=31536000"  # a year; browsers take it from https answers only
RESTRICTIONS = "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
STAFF_POLICY = f"default-src 'self'; {RESTRICTIONS}"
WEBSOCKET_SCHEMES = {"http": "ws", "https": "wss"}

logger = logging.getLogger(__name__)


def _origin(url: str, scheme: str = "") -> str:
    parts = urlsplit(url)
    return f"{scheme or parts.scheme}://{parts.netloc}"


def clinic_page_policy() -> str:
    widget = _origin(settings.web_public_url())
    socket_url = settings.widget_socket_url()
    socket = _origin(socket_url)
    websocket = _origin(socket_url, WEBSOCKET_SCHEMES.get(urlsplit(socket_url).scheme, "wss"))
    return (f"default-src 'self'; script-src 'self' {widget}; style-src 'self' {widget}; "
            f"connect-src 'self' {socket} {websocket}; {RESTRICTIONS}")


async def add_security_headers(request: Request, call_next) -> Response:
    try:
        response = await call_next(request)
    except Exception:
        # Answered here, not by Starlette's outermost error handler, so that a
        # 500 carries the headers too.
        logger.exception("Error answering %s %s", request.method, request.url.path)
        response = PlainTextResponse("Internal Server Error", status_code=500)
    response.headers.update(HEADERS)
    path = request.url.path
    if is_staff_page(path) or is_staff_api(path):
        response.headers.update(STAFF_HEADERS)
        response.headers["Content-Security-Policy"] = STAFF_POLICY
    else:
        response.headers["Content-Security-Policy"] = clinic_page_policy()
    if request.url.scheme == "https":
        response.headers["Strict-Transport-Security"] = HSTS
    return response
