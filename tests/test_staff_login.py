"""Logging in to the staff console: sessions, throttled failures, automatic
log-off, CSRF and the pages' security headers (the web app on a temporary SQLite
database). tests/test_login_throttle.py attacks it over the network."""
import hashlib

from clinic import passwords
from tests.staff_console import PASSWORD, alert, clock, console, hidden_csrf  # noqa: F401

WRONG = "That username and password don't match an account. Please try again."
THROTTLED = ("There were too many failed logins from your network. Please wait 15 minutes "
             "and try again.")
BACKGROUND = {"X-Background-Refresh": "1"}  # what the pages' polling sends (live.js)
IDLE = {"detail": "You were logged off after 15 minutes without activity.", "reason": "idle"}


def test_a_staff_member_logs_in_and_reaches_the_console(console):
    console.add("jane")
    form = console.client.get("/staff/login")
    assert '<label for="username">Username</label>' in form.text
    assert '<label for="password">Password</label>' in form.text

    answer = console.log_in("Jane")  # usernames are not case-sensitive

    assert (answer.status_code, answer.headers["location"]) == (303, "/staff/")
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith("clinic_staff_session="))
    assert {"HttpOnly", "Path=/", "SameSite=strict", "Secure"} <= {
        part.strip() for part in cookie.split(";")}
    home = console.client.get("/staff/")
    assert home.status_code == 200
    assert "Hello, Nurse Jane" in home.text and "With the staff role" in home.text


def test_the_cookie_may_go_over_plain_http_only_when_the_setting_says_so(console, monkeypatch):
    console.add("jane")
    monkeypatch.setenv("STAFF_COOKIE_SECURE", "false")

    cookie = console.log_in("jane").headers["set-cookie"]

    assert "clinic_staff_session=" in cookie and "Secure" not in cookie


def test_a_wrong_password_and_an_unknown_username_get_the_same_polite_answer(console):
    console.add("jane")

    wrong_password = console.log_in("jane", "not the password at all")
    unknown_user = console.log_in("jim", PASSWORD)

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert alert(wrong_password) == alert(unknown_user) == WRONG
    assert 'value="jane"' in wrong_password.text  # the username stays filled in
    assert not console.is_logged_in()


def test_every_way_to_fail_checks_one_password_hash_as_a_success_does(console, monkeypatch):
    # Then every answer takes as long (evaluation/login_timing.py prints the figures).
    console.add("jane")
    console.add("kim")
    console.accounts.set_active("kim", False)
    checks = []
    real_check = passwords.matches
    monkeypatch.setattr(passwords, "matches", lambda *args: checks.append(1) or real_check(*args))

    def checked(username, password):
        checks.clear()
        answer = console.log_in(username, password)
        return answer.status_code, alert(answer), len(checks)

    failed = (401, WRONG, 1)
    assert checked("jane", "not the password at all") == failed
    assert checked("nobody", PASSWORD) == failed
    assert checked("kim", PASSWORD) == failed  # disabled
    assert checked("jane", PASSWORD) == (303, "", 1)


def test_five_failed_logins_to_a_username_make_that_address_wait_without_a_lookup(
        console, clock, monkeypatch):
    console.add("jane")
    answers = [console.log_in("jane", "a wrong password") for _ in range(5)]
    checks = []
    monkeypatch.setattr(passwords, "matches", lambda *args: checks.append(1))

    refused = [console.log_in(username, password) for username, password in [
        ("jane", PASSWORD), ("JANE ", "a wrong password"), ("jane", PASSWORD)]]

    assert [(a.status_code, alert(a)) for a in answers] == [(401, WRONG)] * 5
    assert [(a.status_code, alert(a)) for a in refused] == [(429, THROTTLED)] * 3
    assert 14 * 60 < int(refused[0].headers["Retry-After"]) <= 15 * 60
    assert checks == []  # answered before any password check
    assert not console.is_logged_in()
    # The audit log has the failures, and the throttle once however often it refuses.
    assert console.stored("SELECT action, target_id, details FROM audit_log") == [
        ("login_failed", None, "{}")] * 5 + [
        ("login_throttled", "jane", '{"address": "testclient", "reason": "too many failed '
                                    'logins to this username from this address"}')]
    monkeypatch.undo()

    clock.advance(minutes=15)  # the failures leave the window
    assert console.log_in("jane").status_code == 303


def test_an_unknown_username_is_throttled_as_an_existing_one(console):
    console.add("jane")
    for username in ("jane", "nobody"):
        for _ in range(5):
            console.log_in(username, "a wrong password")

    jane, nobody = console.log_in("jane", "wrong again"), console.log_in("nobody", "wrong again")

    assert (jane.status_code, alert(jane), jane.headers["Retry-After"]) == (
        nobody.status_code, alert(nobody), nobody.headers["Retry-After"])


def test_failed_logins_to_many_usernames_make_the_address_wait(console):
    console.add("jane")
    answers = [console.log_in(f"guess{number}", "a wrong password") for number in range(20)]

    refused = console.log_in("jane")

    assert {answer.status_code for answer in answers} == {401}
    assert (refused.status_code, alert(refused)) == (429, THROTTLED)
    actions = [action for (action,) in console.stored("SELECT action FROM audit_log")]
    assert actions == ["login_failed"] * 20 + ["login_throttled"]


def test_logins_that_succeed_do_not_count(console):
    console.add("jane")
    for _ in range(4):
        console.log_in("jane", "a wrong password")

    for _ in range(25):
        console.client.cookies.clear()
        assert console.log_in("jane").status_code == 303


def test_staff_are_logged_out_after_15_minutes_without_activity(console, clock):
    console.add("jane")
    console.log_in("jane")

    for _ in range(3):  # each request starts the 15 minutes again
        clock.advance(minutes=14)
        assert console.client.get("/api/staff/handoffs").status_code == 200
    clock.advance(minutes=15, seconds=1)

    assert console.client.get("/api/staff/handoffs").status_code == 401
    page = console.client.get("/staff/", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/staff/login")
    assert "logged out after 15 minutes without activity" in console.client.get("/staff/login").text


def test_a_page_that_updates_itself_does_not_keep_an_unattended_session_alive(
        console, clock):
    console.add("jane")
    console.log_in("jane")

    for _ in range(7):  # an open queue and an open list, polling
        clock.advance(minutes=2)
        for api in ("/api/staff/handoffs", "/api/staff/conversations"):
            assert console.client.get(api, headers=BACKGROUND).status_code == 200
    clock.advance(minutes=1, seconds=1)

    # Each open page hears why it stops, and the console asks for a new login.
    for api in ("/api/staff/handoffs", "/api/staff/conversations"):
        answer = console.client.get(api, headers=BACKGROUND)
        assert (answer.status_code, answer.json()) == (401, IDLE)
    assert not console.is_logged_in()


def test_page_loads_and_actions_count_as_activity_between_background_refreshes(
        console, clock):
    console.add("jane")
    console.log_in("jane")
    csrf = console.csrf()

    clock.advance(minutes=14)
    assert console.client.get("/staff/handoffs").status_code == 200  # a page load
    clock.advance(minutes=14)
    claim = console.client.post("/api/staff/handoffs/1/claim", headers={"X-CSRF-Token": csrf})
    assert claim.status_code == 404  # a click that posts (there is no request 1)
    clock.advance(minutes=14)
    assert console.client.get("/api/staff/handoffs", headers=BACKGROUND).status_code == 200
    clock.advance(minutes=1, seconds=1)  # 15 minutes after the click

    assert console.client.get("/api/staff/handoffs", headers=BACKGROUND).json() == IDLE


def test_a_session_ends_12_hours_after_login_however_active(console, clock):
    console.add("jane")
    console.log_in("jane")

    for _ in range(12 * 6 - 1):
        clock.advance(minutes=10)
        assert console.is_logged_in()
    clock.advance(minutes=10, seconds=1)

    assert not console.is_logged_in()


def test_logging_out_ends_the_session_on_the_server(console):
    console.add("jane")
    console.log_in("jane")
    token = console.client.cookies["clinic_staff_session"]

    answer = console.client.post("/staff/logout", data={"csrf": console.csrf()},
                                 follow_redirects=False)

    assert (answer.status_code, answer.headers["location"]) == (303, "/staff/login")
    assert not console.is_logged_in()
    console.client.cookies.set("clinic_staff_session", token)  # a copy of the old cookie
    assert console.client.get("/api/staff/handoffs").status_code == 401


def test_only_a_hash_of_the_session_token_is_stored(console):
    console.add("jane")
    console.log_in("jane")
    token = console.client.cookies["clinic_staff_session"]

    [(stored,)] = console.stored("SELECT token_hash FROM staff_sessions")

    assert stored == hashlib.sha256(token.encode()).hexdigest()


def test_state_changing_requests_need_the_session_s_csrf_token(console):
    console.add("jane")
    console.log_in("jane")
    csrf = console.csrf()

    no_token = console.client.post("/api/staff/handoffs/1/claim")
    wrong_token = console.client.post("/api/staff/handoffs/1/claim",
                                      headers={"X-CSRF-Token": "guessed"})
    logout_without_token = console.client.post("/staff/logout")
    with_token = console.client.post("/api/staff/handoffs/1/claim",
                                     headers={"X-CSRF-Token": csrf})

    assert no_token.status_code == wrong_token.status_code == 403
    assert "security token" in no_token.json()["detail"]
    assert logout_without_token.status_code == 403
    assert "Please reload the page and try again" in logout_without_token.text
    assert console.is_logged_in()
    assert with_token.status_code == 404  # past the check: there is no request 1


def test_a_login_counts_only_with_its_own_form_s_token(console):
    console.add("jane")
    form = console.client.get("/staff/login")
    console.client.cookies.clear()  # e.g. a form posted from another site

    answer = console.client.post("/staff/login", data={
        "username": "jane", "password": PASSWORD, "csrf": hidden_csrf(form)})

    assert answer.status_code == 403
    assert alert(answer) == ("The login form had expired. "
                             "Please enter your username and password again.")
    assert not console.is_logged_in()


def test_an_incomplete_login_form_is_asked_for_again(console):
    form = console.client.get("/staff/login")

    answer = console.client.post("/staff/login", data={"csrf": hidden_csrf(form)})

    assert (answer.status_code, alert(answer)) == (
        400, "Please enter both your username and your password.")


def test_a_browser_that_is_not_logged_in_goes_to_the_login_page_or_gets_401(console):
    for page in ("/staff/", "/staff/audit"):
        answer = console.client.get(page, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/staff/login")
    for method, path in [("GET", "/api/staff/handoffs"), ("GET", "/api/staff/callbacks"),
                         ("POST", "/api/staff/handoffs/1/claim"), ("GET", "/api/staff/audit")]:
        answer = console.client.request(method, path)
        assert answer.status_code == 401
        assert answer.json() == {"detail": "Please log in to the staff console first."}


def test_a_disabled_account_is_logged_out_and_cannot_log_in(console):
    console.add("jane")
    console.log_in("jane")

    console.accounts.set_active("jane", False)

    assert not console.is_logged_in()
    assert alert(console.log_in("jane")) == WRONG


def test_a_new_password_ends_the_account_s_sessions(console, clock):
    console.add("jane")
    console.log_in("jane")
    clock.advance(seconds=1)

    console.accounts.reset_password("jane", "a brand new passphrase")

    assert not console.is_logged_in()
    assert alert(console.log_in("jane", PASSWORD)) == WRONG
    assert console.log_in("jane", "a brand new passphrase").status_code == 303


def test_staff_pages_and_api_are_never_cached_or_framed(console):
    console.add("jane")
    console.log_in("jane")

    for path in ("/staff/login", "/staff/", "/api/staff/handoffs"):
        headers = console.client.get(path).headers
        assert headers["cache-control"] == "no-store"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
