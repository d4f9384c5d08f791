"""Who may use the staff pages (/staff) and the staff API (/api/staff).

`require_role("staff")` is the dependency of every such route: it finds the
browser's session (the `clinic_staff_session` cookie, see
clinic/staff_sessions.py), checks the session's CSRF token on every
state-changing request, and the account's role. Not logged in: pages redirect
to the login page, the API answers 401 (saying so when the session ended after
the idle timeout); the wrong role gets 403.

A request with the header `X-Background-Refresh: 1` (the pages' polling,
static/staff/live.js) is not activity: it needs a valid session but does not
keep it alive, so the idle timeout logs off an unattended open page too.
"""
import hmac
from typing import Callable, Optional

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from clinic import settings
from clinic.staff_sessions import LoggedIn
from webapp.templating import templates

SESSION_COOKIE = "clinic_staff_session"
CSRF_HEADER = "X-CSRF-Token"
BACKGROUND_HEADER = "X-Background-Refresh"
CSRF_FIELD = "csrf"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CSRF_REFUSED = ("This request did not come with the staff console's security token "
                "(a page may have been open too long). Please reload the page and try again.")


def is_staff_page(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


def is_staff_api(path: str) -> bool:
    return path == "/api/staff" or path.startswith("/api/staff/")


def tokens_match(sent: Optional[str], expected: str) -> bool:
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


def set_session_cookie(response: Response, token: str) -> None:
    # No Max-Age: the browser forgets it when closed; the server ends it sooner.
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict",
                        secure=settings.staff_cookie_secure())


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=settings.staff_cookie_secure())


def logged_in(request: Request) -> Optional[LoggedIn]:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    background = request.headers.get(BACKGROUND_HEADER) == "1"
    return request.app.state.staff_sessions.find(token, activity=not background)


def _ended_idle(request: Request) -> bool:
    token = request.cookies.get(SESSION_COOKIE)
    return bool(token) and request.app.state.staff_sessions.ended_idle(token)


class LoginRequired(Exception):
    def __init__(self, idle: bool) -> None:
        super().__init__()
        self.idle = idle  # the session ended after the idle timeout


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        sent = (await request.form()).get(CSRF_FIELD)
    if not tokens_match(sent if isinstance(sent, str) else None, expected):
        raise HTTPException(403, CSRF_REFUSED)


def require_role(role: str) -> Callable:
    async def logged_in_with_role(request: Request) -> LoggedIn:
        login = logged_in(request)
        if login is None:
            raise LoginRequired(idle=_ended_idle(request))
        if request.method in STATE_CHANGING:
            await _check_csrf(request, login.csrf_token)
        if not login.staff.has_role(role):
            raise HTTPException(403, f"This needs the {role} role; your account has the "
                                     f"{login.staff.role} role. An admin can change it.")
        return login
    logged_in_with_role.required_role = role  # tests/route_table.py reads each route's role
    return logged_in_with_role


async def _login_required(request: Request, error: LoginRequired) -> Response:
    if not is_staff_api(request.url.path):
        return RedirectResponse("/staff/login", 303)
    if error.idle:
        minutes = f"{settings.staff_idle_timeout_minutes():g}"
        return JSONResponse({"detail": f"You were logged off after {minutes} minutes without "
                                       "activity.", "reason": "idle"}, 401)
    return JSONResponse({"detail": "Please log in to the staff console first."}, 401)


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    """Staff pages answer errors with a page; everything else as before (JSON)."""
    if not is_staff_page(request.url.path):
        return await http_exception_handler(request, error)
    return templates.TemplateResponse(
        request, "staff/error.html", {"login": None, "message": error.detail},
        status_code=error.status_code, headers=error.headers)


def install_error_answers(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(StarletteHTTPException, _http_error)
