"""Every route of the web app, read from its route table, is either public on
purpose (listed below) or refuses visitors who are not logged in, accounts
whose role is too low, and state-changing requests without the CSRF token."""
from typing import Iterator

import pytest

from clinic.staff import ROLES
from tests.route_table import endpoints
from tests.staff_console import (PASSWORD, Clock, Console, clock, console,  # noqa: F401
                                 running_console)
from webapp.app import app
from webapp.staff_auth import CSRF_HEADER, CSRF_REFUSED, is_staff_api
from webapp.staff_login import EXPIRED

ENDPOINTS = endpoints(app)

# What anyone may reach without logging in, and why.
PUBLIC = {
    "GET /": "the clinic's treatment page with the patient chat widget",
    "GET /treatments/{name}": "the clinic's other treatment pages",
    "GET /static/{path:path}": "the widget's script and styles, the pages' styles and scripts",
    "HEAD /static/{path:path}": "the same files, as caches check them",
    "GET /health": "for the process supervisor and load balancer; says only 'ok'",
    "GET /staff/login": "the login form",
    "POST /staff/login": "logging in (checks its own login form token)",
}
PROTECTED = [endpoint for endpoint in ENDPOINTS if str(endpoint) not in PUBLIC]
WITH_ROLE = [endpoint for endpoint in PROTECTED if endpoint.required_role in ROLES]
# The roles as docs/staff-console.md tells staff: what needs more than the
# staff role, by the start of its path. Everything else needs the staff role.
ROLE_BY_PATH = {
    "/staff/accounts": "admin",
    "/staff/audit": "admin",
    "/api/staff/audit": "admin",
    "/staff/annotations": "editor",
    "/staff/patient-data": "admin",
}
# What a request carries when it tries to do something: enough for any route to act on.
ATTEMPT = {"text": "Hello from an attacker", "username": "admin", "password": PASSWORD,
           "display_name": "Mallory", "role": "admin", "intent": "ask_cost"}


def send(console, endpoint, **headers):
    url = endpoint.url()
    if not endpoint.is_state_changing:
        return console.client.request(endpoint.method, url, headers=headers,
                                      follow_redirects=False)
    body = {"json": ATTEMPT} if is_staff_api(url) else {"data": ATTEMPT}
    return console.client.request(endpoint.method, url, headers=headers,
                                  follow_redirects=False, **body)


@pytest.fixture(scope="module")
def refusing(tmp_path_factory) -> Iterator[Console]:
    """One web app for the tests of refused requests, which check that nothing
    changed; an account named after each role."""
    with pytest.MonkeyPatch.context() as monkeypatch, running_console(
            tmp_path_factory.mktemp("refusing"), monkeypatch, Clock()) as running:
        for role in ROLES:
            running.add(role, role)
        yield running


def log_in_as(console, role):
    console.client.cookies.clear()
    console.log_in(role)
    return {CSRF_HEADER: console.csrf()}


def audit_entries(console):
    return console.stored("SELECT count(*) FROM audit_log")[0][0]


def test_the_route_table_is_walked_whole():
    walked = {str(endpoint) for endpoint in ENDPOINTS}

    assert set(PUBLIC) <= walked, "a route listed as public is gone: take it off the list"
    assert {"GET /static/{path:path}", "POST /api/staff/handoffs/{request_id}/messages",
            "POST /staff/accounts/{username}/role", "GET /staff/audit"} <= walked


@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
def test_every_route_not_listed_as_public_declares_the_role_it_needs(endpoint):
    assert endpoint.required_role in ROLES, (
        f"{endpoint} needs no role: give it Depends(require_role(...)) or, if anyone may "
        "reach it, list it in PUBLIC with the reason")


@pytest.mark.parametrize("endpoint", WITH_ROLE, ids=str)
def test_each_route_needs_the_role_the_staff_are_told_it_needs(endpoint):
    documented = [role for start, role in ROLE_BY_PATH.items() if endpoint.path.startswith(start)]

    assert endpoint.required_role == (documented[0] if documented else "staff")


@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
@pytest.mark.parametrize("cookie", [None, "made-up-session-token"])
def test_visitors_who_are_not_logged_in_are_refused(refusing, endpoint, cookie):
    refusing.client.cookies.clear()
    if cookie:
        refusing.client.cookies.set("clinic_staff_session", cookie)
    before = audit_entries(refusing)

    answer = send(refusing, endpoint)

    if is_staff_api(endpoint.path):
        assert answer.status_code == 401
        assert answer.json() == {"detail": "Please log in to the staff console first."}
    else:
        assert (answer.status_code, answer.headers["location"]) == (303, "/staff/login")
        assert answer.content == b""
    assert audit_entries(refusing) == before  # nothing was done


LOWER_ROLES = [(endpoint, role) for endpoint in WITH_ROLE
               for role in ROLES[:ROLES.index(endpoint.required_role)]]


@pytest.mark.parametrize("endpoint, role", LOWER_ROLES, ids=lambda value: str(value))
def test_accounts_with_too_low_a_role_are_refused(refusing, endpoint, role):
    csrf = log_in_as(refusing, role)
    before = audit_entries(refusing)

    answer = send(refusing, endpoint, **csrf)

    assert answer.status_code == 403
    assert f"This needs the {endpoint.required_role} role; your account has the {role} role" \
        in answer.text
    assert audit_entries(refusing) == before  # nothing was done


@pytest.mark.parametrize("endpoint", WITH_ROLE, ids=str)
def test_an_account_with_just_the_role_a_route_needs_gets_through(console, endpoint):
    console.add(endpoint.required_role, endpoint.required_role)
    csrf = log_in_as(console, endpoint.required_role)

    answer = send(console, endpoint, **csrf)

    assert answer.status_code not in (401, 403), answer.text


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.is_state_changing], ids=str)
@pytest.mark.parametrize("token", [None, "a-token-of-another-session"])
def test_state_changing_requests_without_the_csrf_token_are_refused(refusing, endpoint, token):
    refusing.client.cookies.clear()
    protected = str(endpoint) not in PUBLIC
    if protected:
        refusing.log_in("admin")
    before = audit_entries(refusing)

    answer = send(refusing, endpoint, **({CSRF_HEADER: token} if token else {}))

    assert answer.status_code == 403
    assert (CSRF_REFUSED if protected else EXPIRED) in answer.text.replace("&#39;", "'")
    assert audit_entries(refusing) == before  # nothing was done
    assert refusing.is_logged_in() == protected  # not logged out, nor logged in
