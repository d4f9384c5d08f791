"""The admins' staff accounts page (/staff/accounts): every account, a form to
add one and, for each, forms to change its role, disable or enable it and set
a new password.

Each form posts to a route below, which makes the change with
clinic.staff_accounts.change, as the command line does (the same checks, the
same audit log entries, who made it), and shows the page again with what was
done or, politely, what was wrong. A new password is typed twice by the admin,
never made up and shown by the server, so no page ever holds one. Disabling an
account and setting its password end its sessions (clinic/staff_sessions.py).

An admin can't disable their own account or change its role: the clinic always
keeps an admin who can log in and manage the others.
"""
from typing import Optional

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from clinic import passwords, settings
from clinic.staff import ROLES
from clinic.staff_accounts import AccountNotFound, change, same_password_twice
from clinic.staff_sessions import LoggedIn
from webapp.staff_auth import require_role
from webapp.templating import templates

OWN_ACCOUNT = ("You can't disable your own account or change its role, so that the clinic "
               "keeps an admin who can log in. Another admin can do it for you.")
WHEN = "%-d %b %Y, %H:%M"  # in the clinic's time zone

router = APIRouter(prefix="/staff/accounts")


def _page(request: Request, login: LoggedIn, done: str = "", problem: str = "",
          status_code: int = 200, new_account: Optional[dict] = None) -> Response:
    """The page; after a change, `done` says what was done, or `problem` what was
    wrong. `new_account` refills the add form after a problem with it."""
    return templates.TemplateResponse(request, "staff/accounts.html", {
        "login": login, "accounts": request.app.state.staff_accounts.accounts(),
        "last_logins": request.app.state.audit_log.last_logins(), "roles": ROLES,
        "min_length": passwords.MIN_LENGTH, "max_length": passwords.MAX_LENGTH,
        "when": WHEN, "zone": settings.opening_hours().time_zone,
        "done": done, "problem": problem, "new_account": new_account or {"role": ROLES[0]},
    }, status_code=status_code)


def _change(request: Request, login: LoggedIn, command: str, username: str,
            again: Optional[str] = None, new_account: Optional[dict] = None,
            **values: str) -> Response:
    """Make the change and show the page; `again` is the new password typed a
    second time, `new_account` what the add form had."""
    try:
        if again is not None:
            same_password_twice(values["password"], again)
        done = change(request.app.state.staff_accounts, request.app.state.audit_log,
                      command, username, login.staff, **values)
    except AccountNotFound as error:
        return _page(request, login, problem=_sentence(error), status_code=404)
    except ValueError as error:
        return _page(request, login, problem=_sentence(error), status_code=400,
                     new_account=new_account)
    return _page(request, login, done)


def _sentence(error: Exception) -> str:
    """clinic.staff_accounts' messages ("a password needs ...") as sentences."""
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."


def _own(login: LoggedIn, username: str) -> bool:
    return username.strip().lower() == login.staff.username


@router.get("")
def accounts_page(request: Request, login: LoggedIn = Depends(require_role("admin"))) -> Response:
    return _page(request, login)


@router.post("")
def add(request: Request, username: str = Form(""), display_name: str = Form(""),
        role: str = Form(""), password: str = Form(""), password_again: str = Form(""),
        login: LoggedIn = Depends(require_role("admin"))) -> Response:
    return _change(request, login, "add", username, password_again,
                   {"username": username, "display_name": display_name, "role": role},
                   display_name=display_name, role=role, password=password)


@router.post("/{username}/role")
def set_role(request: Request, username: str, role: str = Form(""),
             login: LoggedIn = Depends(require_role("admin"))) -> Response:
    if _own(login, username):
        return _page(request, login, problem=OWN_ACCOUNT, status_code=400)
    return _change(request, login, "set-role", username, role=role)


@router.post("/{username}/disable")
def disable(request: Request, username: str,
            login: LoggedIn = Depends(require_role("admin"))) -> Response:
    if _own(login, username):
        return _page(request, login, problem=OWN_ACCOUNT, status_code=400)
    return _change(request, login, "disable", username)


@router.post("/{username}/enable")
def enable(request: Request, username: str,
           login: LoggedIn = Depends(require_role("admin"))) -> Response:
    return _change(request, login, "enable", username)


@router.post("/{username}/password")
def reset_password(request: Request, username: str, password: str = Form(""),
                   password_again: str = Form(""),
                   login: LoggedIn = Depends(require_role("admin"))) -> Response:
    return _change(request, login, "reset-password", username, password_again,
                   password=password)
