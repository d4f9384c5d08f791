"""Logging in to and out of the staff console (/staff/login, /staff/logout).

Login CSRF: before there is a session, the login form carries a random token
that the browser also holds in a short-lived cookie (HttpOnly, SameSite=Strict,
only sent to /staff/login); a login counts only when the two match. A page on
another site can neither read the cookie nor make the browser send it, so it
can't log a browser in to an account of its choosing. No server secret and no
stored state for visitors who never log in.

Failed logins are throttled per address, before any password check
(webapp/login_throttle.py).
"""
import math
import secrets
from typing import Optional

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from clinic import settings
from clinic.staff_accounts import LoginOutcome, normal_username
from clinic.staff_sessions import LoggedIn
from webapp.staff_auth import (SESSION_COOKIE, clear_session_cookie, logged_in, require_role,
                               set_session_cookie, tokens_match)
from webapp.templating import templates

LOGIN_PATH = "/staff/login"
LOGIN_FORM_COOKIE = "clinic_staff_login"
LOGIN_FORM_MINUTES = 30
WRONG = "That username and password don't match an account. Please try again."
THROTTLED = ("There were too many failed logins from your network. Please wait {minutes} "
             "and try again.")
EXPIRED = "The login form had expired. Please enter your username and password again."
INCOMPLETE = "Please enter both your username and your password."

router = APIRouter(prefix="/staff")


def _login_form(request: Request, message: str = "", status_code: int = 200,
                username: str = "", headers: Optional[dict] = None) -> Response:
    """The form with a new login token, in the page and in the browser's cookie."""
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, "staff/login.html", {
        "login": None, "csrf": token, "message": message, "username": username,
        "idle_minutes": f"{settings.staff_idle_timeout_minutes():g}",
    }, status_code=status_code, headers=headers)
    response.set_cookie(LOGIN_FORM_COOKIE, token, max_age=LOGIN_FORM_MINUTES * 60,
                        path=LOGIN_PATH, httponly=True, samesite="strict",
                        secure=settings.staff_cookie_secure())
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    if logged_in(request):
        return RedirectResponse("/staff/", 303)
    return _login_form(request)


def _waiting_time(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def _audited_name(username: str) -> str:
    try:
        return normal_username(username)
    except ValueError:
        return username.strip()[:50]


@router.post("/login")
async def log_in(request: Request, username: str = Form(""), password: str = Form(""),
                 csrf: str = Form("")) -> Response:
    if not tokens_match(csrf, request.cookies.get(LOGIN_FORM_COOKIE, "")):
        return _login_form(request, EXPIRED, 403, username)
    if not username.strip() or not password:
        return _login_form(request, INCOMPLETE, 400, username)
    throttle, audit = request.app.state.login_throttle, request.app.state.audit_log
    address = request.client.host if request.client else ""
    throttled = throttle.admit(username, address)
    if throttled:
        if throttled.first:
            audit.record("login_throttled", None, "staff_account", _audited_name(username),
                         {"address": address, "reason": throttled.reason})
        return _login_form(request, THROTTLED.format(minutes=_waiting_time(throttled.retry_after)),
                           429, username, {"Retry-After": str(throttled.retry_after)})
    login = await throttle.check(request.app.state.staff_accounts.authenticate,
                                 username, password)
    if login.outcome is LoginOutcome.OK:
        throttle.succeeded(username, address)
        audit.record("login", login.staff)
        response = RedirectResponse("/staff/", 303)
        set_session_cookie(response, request.app.state.staff_sessions.start(login.staff))
        response.delete_cookie(LOGIN_FORM_COOKIE, path=LOGIN_PATH, httponly=True,
                               samesite="strict", secure=settings.staff_cookie_secure())
        return response
    audit.record("login_failed", login.staff,
                 details={} if login.staff else {"reason": "unknown username"})
    return _login_form(request, WRONG, 401, username)


@router.post("/logout")
def log_out(request: Request, login: LoggedIn = Depends(require_role("staff"))) -> Response:
    request.app.state.staff_sessions.end(request.cookies[SESSION_COOKIE])
    request.app.state.audit_log.record("logout", login.staff)
    response = RedirectResponse(LOGIN_PATH, 303)
    clear_session_cookie(response)
    return response
