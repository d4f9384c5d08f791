"""Logging in to and out of the staff console (/staff/login, /staff/logout).

Login CSRF: before there is a session, the login form carries a random token
that the browser also holds in a short-lived cookie (HttpOnly, SameSite=Strict,
only sent to /staff/login); a login counts only when the two match. A page on
another site can neither read the cookie nor make the browser send it, so it
can't log a browser in to an account of its choosing. No server secret and no
stored state for visitors who never log in.
"""
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from clinic import settings
from clinic.staff_accounts import LoginOutcome
from clinic.staff_sessions import LoggedIn
from webapp.staff_auth import (SESSION_COOKIE, clear_session_cookie, logged_in, require_role,
                               set_session_cookie, tokens_match)
from webapp.templating import templates

LOGIN_PATH = "/staff/login"
LOGIN_FORM_COOKIE = "clinic_staff_login"
LOGIN_FORM_MINUTES = 30
WRONG = "That username and password don't match an account. Please try again."
LOCKED = ("This account is locked for a while after too many failed logins. "
          "Please try again later, or ask an admin to unlock it.")
EXPIRED = "The login form had expired. Please enter your username and password again."
INCOMPLETE = "Please enter both your username and your password."

router = APIRouter(prefix="/staff")


def _login_form(request: Request, message: str = "", status_code: int = 200,
                username: str = "") -> Response:
    """The form with a new login token, in the page and in the browser's cookie."""
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, "staff/login.html", {
        "login": None, "csrf": token, "message": message, "username": username,
        "idle_minutes": f"{settings.staff_idle_timeout_minutes():g}",
    }, status_code=status_code)
    response.set_cookie(LOGIN_FORM_COOKIE, token, max_age=LOGIN_FORM_MINUTES * 60,
                        path=LOGIN_PATH, httponly=True, samesite="strict",
                        secure=settings.staff_cookie_secure())
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    if logged_in(request):
        return RedirectResponse("/staff/", 303)
    return _login_form(request)


@router.post("/login")
def log_in(request: Request, username: str = Form(""), password: str = Form(""),
           csrf: str = Form("")) -> Response:
    if not tokens_match(csrf, request.cookies.get(LOGIN_FORM_COOKIE, "")):
        return _login_form(request, EXPIRED, 403, username)
    if not username.strip() or not password:
        return _login_form(request, INCOMPLETE, 400, username)
    login = request.app.state.staff_accounts.authenticate(username, password)
    audit = request.app.state.audit_log
    if login.outcome is LoginOutcome.OK:
        audit.record("login", login.staff)
        response = RedirectResponse("/staff/", 303)
        set_session_cookie(response, request.app.state.staff_sessions.start(login.staff))
        response.delete_cookie(LOGIN_FORM_COOKIE, path=LOGIN_PATH, httponly=True,
                               samesite="strict", secure=settings.staff_cookie_secure())
        return response
    if login.outcome is LoginOutcome.LOCKED and not login.locked_now:
        audit.record("login_refused_locked", login.staff)
        return _login_form(request, LOCKED, 401, username)
    audit.record("login_failed", login.staff,
                 details={} if login.staff else {"reason": "unknown username"})
    if login.locked_now:
        audit.record("account_locked", login.staff)
        return _login_form(request, LOCKED, 401, username)
    return _login_form(request, WRONG, 401, username)


@router.post("/logout")
def log_out(request: Request, login: LoggedIn = Depends(require_role("staff"))) -> Response:
    request.app.state.staff_sessions.end(request.cookies[SESSION_COOKIE])
    request.app.state.audit_log.record("logout", login.staff)
    response = RedirectResponse(LOGIN_PATH, 303)
    clear_session_cookie(response)
    return response
