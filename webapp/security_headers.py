"""Response headers for the staff console's pages and API: nothing cached (the
pages show patients' health data), never framed, no referrer to other sites,
and only this origin's own files (no inline scripts or styles)."""
from fastapi import Request
from fastapi.responses import Response

from webapp.staff_auth import is_staff_api, is_staff_page

STAFF_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": ("default-src 'self'; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'none'; object-src 'none'"),
}


async def add_staff_security_headers(request: Request, call_next) -> Response:
    response = await call_next(request)
    if is_staff_page(request.url.path) or is_staff_api(request.url.path):
        response.headers.update(STAFF_HEADERS)
    return response
