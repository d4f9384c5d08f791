"""The admins' staff accounts page (/staff/accounts): who may open it, each
change an admin makes there, what it does to the account's sessions and the
audit log, and polite answers to bad input (the web app on a temporary SQLite
database)."""
import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.staff_console import PASSWORD, Console, alert, clock, console  # noqa: F401

NEW_PASSWORD = "a brand new passphrase"
OWN_ACCOUNT = ("You can't disable your own account or change its role, so that the clinic "
               "keeps an admin who can log in. Another admin can do it for you.")


def status(page: Response) -> str:
    """The confirmation the page shows after a change, as the browser renders it."""
    found = re.search(r'role="status">([^<]*)<', page.text)
    return html.unescape(found.group(1)) if found else ""


def another_browser(console: Console) -> Console:
    """A second browser on the same web app, with cookies of its own."""
    return Console(TestClient(console.client.app, base_url="https://testserver"),
                   console.database_url)


def as_admin(console: Console) -> Console:
    console.add("ann", "admin", name="Ann Admin")
    console.log_in("ann")
    return console


def post(console: Console, path: str, **form: str) -> Response:
    return console.client.post(path, data={"csrf": console.csrf(), **form})


def account_changes(console: Console) -> list:
    return [(username, action, target, json.loads(details)) for username, action, target, details
            in console.stored("SELECT username, action, target_id, details FROM audit_log "
                              "WHERE target_type = 'staff_account' ORDER BY id")]


def row(page: Response, username: str) -> str:
    """The accounts table's row of `username`, as HTML."""
    return re.search(rf'<tr>\s*<th scope="row"[^>]*>{username}</th>.*?</tr>',
                     page.text, re.S).group(0)


@pytest.mark.parametrize("role", ["staff", "editor"])
def test_staff_and_editors_cannot_open_or_use_the_accounts_page(console, role):
    console.add("jane", role)
    console.log_in("jane")

    page = console.client.get("/staff/accounts")
    added = post(console, "/staff/accounts", username="kim", display_name="Kim", role="admin",
                 password=PASSWORD, password_again=PASSWORD)

    assert page.status_code == added.status_code == 403
    assert f"This needs the admin role; your account has the {role} role." in page.text
    assert [account["username"] for account in console.accounts.accounts()] == ["jane"]
    assert "/staff/accounts" not in console.client.get("/staff/").text


def test_a_browser_that_is_not_logged_in_goes_to_the_login_page(console):
    for answer in (console.client.get("/staff/accounts", follow_redirects=False),
                   console.client.post("/staff/accounts/jane/disable", follow_redirects=False)):
        assert (answer.status_code, answer.headers["location"]) == (303, "/staff/login")


def test_admins_see_every_account_and_reach_the_page_from_the_nav_and_home(console):
    console.add("jane", name="<b>Nurse Jane</b>")
    console.log_in("jane")
    console.client.cookies.clear()
    console.add("bob", "editor", name="Bob Editor")
    as_admin(console)

    home = console.client.get("/staff/").text
    page = console.client.get("/staff/accounts")

    assert '<li><a href="/staff/accounts">Accounts</a></li>' in home
    assert '<a href="/staff/accounts">Staff accounts</a>' in home
    assert page.status_code == 200
    jane = row(page, "jane")
    assert "<td>&lt;b&gt;Nurse Jane&lt;/b&gt;</td>" in jane  # shown as text
    assert "<td>staff</td>" in jane and "<td>Active</td>" in jane
    assert "<td>Never</td>" not in jane  # she has logged in
    assert "<td>Never</td>" in row(page, "bob")
    assert "Your own account" in row(page, "ann")
    assert '/staff/accounts/ann/disable"' not in row(page, "ann")


def test_an_admin_adds_an_account_that_can_then_log_in(console):
    as_admin(console)

    page = post(console, "/staff/accounts", username="Kim", display_name="  Nurse   Kim ",
                role="editor", password=PASSWORD, password_again=PASSWORD)

    assert page.status_code == 200
    assert status(page) == "Added editor account 'kim' (Nurse Kim)."
    assert "<td>Nurse Kim</td>" in row(page, "kim")
    kim = another_browser(console)
    assert kim.log_in("kim").status_code == 303
    assert "With the editor role" in kim.client.get("/staff/").text
    assert account_changes(console) == [
        ("ann", "account_added", "kim", {"via": "staff console", "role": "editor"})]
    assert not any(PASSWORD in str(entry) for entry in console.stored("SELECT * FROM audit_log"))


def test_a_role_change_applies_at_the_account_s_next_request(console):
    console.add("jane")
    jane = another_browser(console)
    jane.log_in("jane")
    as_admin(console)
    assert jane.client.get("/staff/accounts").status_code == 403

    page = post(console, "/staff/accounts/jane/role", role="admin")

    assert status(page) == "'jane' is now admin."
    assert "<td>admin</td>" in row(page, "jane")
    assert jane.client.get("/staff/accounts").status_code == 200
    assert account_changes(console) == [
        ("ann", "role_changed", "jane", {"via": "staff console", "role": "admin"})]


def test_disabling_an_account_ends_its_sessions_until_it_is_enabled(console):
    console.add("jane")
    jane = another_browser(console)
    jane.log_in("jane")
    as_admin(console)

    disabled = post(console, "/staff/accounts/jane/disable")

    assert status(disabled) == "Disabled 'jane': it can no longer log in."
    assert "<td>Disabled</td>" in row(disabled, "jane")
    assert not jane.is_logged_in()
    assert alert(jane.log_in("jane")) == (
        "That username and password don't match an account. Please try again.")

    enabled = post(console, "/staff/accounts/jane/enable")

    assert status(enabled) == "Enabled 'jane'."
    assert jane.log_in("jane").status_code == 303
    assert [action for _, action, _, _ in account_changes(console)] == [
        "account_disabled", "account_enabled"]


def test_a_session_open_when_the_account_was_disabled_stays_ended_once_enabled(console):
    """Disable a stolen login, enable the account again: the thief stays out."""
    console.add("jane")
    jane = another_browser(console)
    jane.log_in("jane")
    as_admin(console)

    post(console, "/staff/accounts/jane/disable")
    post(console, "/staff/accounts/jane/enable")

    assert not jane.is_logged_in()


def test_a_new_password_ends_the_account_s_sessions_and_the_old_one_is_refused(console, clock):
    console.add("jane")
    jane = another_browser(console)
    jane.log_in("jane")
    as_admin(console)
    clock.advance(seconds=1)

    page = post(console, "/staff/accounts/jane/password",
                password=NEW_PASSWORD, password_again=NEW_PASSWORD)

    assert status(page) == "New password set for 'jane'; its sessions have ended."
    assert not jane.is_logged_in()
    assert jane.log_in("jane", PASSWORD).status_code == 401
    assert jane.log_in("jane", NEW_PASSWORD).status_code == 303
    assert account_changes(console) == [
        ("ann", "password_reset", "jane", {"via": "staff console"})]
    assert not any(NEW_PASSWORD in str(entry)
                   for entry in console.stored("SELECT * FROM audit_log"))


@pytest.mark.parametrize("change, form", [("disable", {}), ("role", {"role": "staff"})])
def test_an_admin_cannot_disable_or_demote_their_own_account(console, change, form):
    as_admin(console)

    page = post(console, f"/staff/accounts/ANN/{change}", **form)

    assert (page.status_code, alert(page)) == (400, OWN_ACCOUNT)
    assert console.accounts.account("ann").role == "admin"
    assert console.client.get("/staff/accounts").status_code == 200  # still logged in
    assert account_changes(console) == []


@pytest.mark.parametrize("path", ["/staff/accounts", "/staff/accounts/jane/role",
                                  "/staff/accounts/jane/disable",
                                  "/staff/accounts/jane/password"])
def test_a_change_without_the_session_s_csrf_token_is_refused(console, path):
    console.add("jane")
    as_admin(console)

    answer = console.client.post(path, data={
        "username": "kim", "display_name": "Kim", "role": "admin",
        "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})

    assert answer.status_code == 403
    assert "security token" in answer.text
    assert console.accounts.account("jane").role == "staff"
    assert account_changes(console) == []


@pytest.mark.parametrize("form, problem", [
    ({"password": "short pass", "password_again": "short pass"},
     "A password needs at least 12 characters."),
    ({"password_again": "not the same passphrase"},
     "The two passwords differ; nothing was changed."),
    ({"username": "kim lee"}, "A username has 2 to 50 letters, digits, dots, dashes or "
                              "underscores, and starts with a letter or digit."),
    ({"username": "JANE"}, "There is already an account 'jane'."),
    ({"display_name": "   "}, "A display name has 1 to 100 characters."),
    ({"display_name": " nurse  JANE"},
     "Another account already has the display name 'nurse JANE'."),
    ({"role": "boss"}, "The role must be one of staff, editor, admin, not 'boss'."),
])
def test_a_bad_new_account_gets_a_polite_answer_and_the_form_back(console, form, problem):
    console.add("jane")
    as_admin(console)
    sent = {"username": "kim", "display_name": "Nurse Kim", "role": "editor",
            "password": PASSWORD, "password_again": PASSWORD, **form}

    page = post(console, "/staff/accounts", **sent)

    assert (page.status_code, alert(page)) == (400, problem)
    assert f'value="{sent["username"]}"' in page.text  # the form keeps what was typed
    assert PASSWORD not in page.text  # but not the password
    assert [account["username"] for account in console.accounts.accounts()] == ["ann", "jane"]
    assert account_changes(console) == []


@pytest.mark.parametrize("path, form, code, problem", [
    ("/staff/accounts/jane/password", {"password": NEW_PASSWORD, "password_again": PASSWORD},
     400, "The two passwords differ; nothing was changed."),
    ("/staff/accounts/jane/password", {"password": "jane", "password_again": "jane"},
     400, "A password needs at least 12 characters."),
    ("/staff/accounts/nobody/disable", {}, 404, "There is no account 'nobody'."),
])
def test_a_bad_change_gets_a_polite_answer_and_changes_nothing(console, path, form, code,
                                                               problem):
    console.add("jane")
    as_admin(console)

    page = post(console, path, **form)

    assert (page.status_code, alert(page)) == (code, problem)
    assert another_browser(console).log_in("jane").status_code == 303
    assert account_changes(console) == []
