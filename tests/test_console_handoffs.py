"""The handoff queue and callback pages of the staff console as a browser without
JavaScript gets them: their forms post to the web app and come back to the page
(the web app on a temporary SQLite database; Rasa is not running, so a reply or
a hand-back gets the answer staff see when the assistant can't be reached).
The browser tests (test_console_browser.py) drive the live pages."""
import re

import pytest

from clinic.database import Database
from clinic.handoff_store import HandoffStore
from clinic.local_servers import free_port
from tests.rasa_events import RasaEvents, patient, response
from tests.staff_console import clock, console  # noqa: F401
from webapp.staff_auth import CSRF_REFUSED

ATTACK = '<script>alert("x")</script><img src=x onerror="alert(1)">'


@pytest.fixture(autouse=True)
def rasa_not_running(monkeypatch):
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{free_port()}")


@pytest.fixture
def jane(console):
    console.add("jane")
    console.log_in("jane")
    return console


def store(console) -> HandoffStore:
    return console.client.app.state.handoff_store


def ask_for_staff(console, conversation_id, *messages, urgent=False) -> int:
    """The patient's messages, stored as Rasa stores them, then the request."""
    rasa = RasaEvents(console.database_url)
    rasa.save(conversation_id, *(patient(text, "request_human") for text in messages))
    rasa.close()
    place = store(console).request_handoff(
        conversation_id, "patient asked for a person", urgent, {"last_messages": list(messages)})
    return place.request["id"]


def row(page: str, request_id: int) -> str:
    return re.search(rf'<li class="request[^"]*" id="request-{request_id}".*?</li>\n\n', page,
                     re.S).group(0)


def shown(row_html: str, part: str) -> bool:
    return re.search(rf'data-part="{part}"( hidden)?>', row_html).group(1) is None


def message(page) -> str:
    """The message of the console's error page."""
    return re.search(r"<h1>Sorry</h1>\s*<p>(.*?)</p>", page.text, re.S).group(1)


def test_urgent_requests_come_first_then_the_oldest_with_the_patient_s_words_as_text(jane):
    first = ask_for_staff(jane, "c1", "how much does it cost?")
    second = ask_for_staff(jane, "c2", ATTACK)
    urgent = ask_for_staff(jane, "c3", "my chest hurts", urgent=True)

    page = jane.client.get("/staff/handoffs").text

    order = [int(n) for n in re.findall(r'<li class="request[^"]*" id="request-(\d+)"', page)]
    assert order == [urgent, first, second]
    assert '<span class="badge" data-field="badge">Urgent</span>' in row(page, urgent)
    assert 'data-field="badge" hidden>' in row(page, first)
    # Each request with its conversation, as its transcript shows it.
    assert '<span data-field="text">how much does it cost?</span>' in row(page, first)
    assert 'data-field="conversation"' in row(page, first)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x" in row(page, second)
    assert "<img src=x" not in page and "<script>alert" not in page
    assert "3 waiting, 0 claimed." in page


def test_an_emergency_nobody_has_claimed_is_the_first_thing_staff_see_on_logging_in(jane):
    assert 'class="urgent-alert"' not in jane.client.get("/staff/").text
    ask_for_staff(jane, "c0", "can I talk to a nurse")
    store(jane).mark_urgent("c1", "emergency reported", {"last_messages": ["crushing chest pain"]})
    store(jane).mark_urgent("c2", "emergency reported", {"last_messages": ["I can't breathe"]})

    home = jane.client.get("/staff/").text

    alert = re.search(r'<div class="urgent-alert" role="alert">(.*?)</div>', home, re.S).group(1)
    assert "2 urgent requests waiting" in alert and "emergency reported" in alert
    assert '<a href="/staff/handoffs">Open the handoff queue</a>' in alert
    assert "chest pain" not in alert  # the patient's words are on the queue, not here
    for request in store(jane).active_requests():
        if request["urgent"]:
            jane.client.post(f"/staff/handoffs/{request['id']}/claim", data={"csrf": jane.csrf()})
    assert 'class="urgent-alert"' not in jane.client.get("/staff/").text


def test_a_nurse_claims_a_request_and_gets_the_reply_box(jane):
    request_id = ask_for_staff(jane, "c1", "can I talk to a nurse")

    answer = jane.client.post(f"/staff/handoffs/{request_id}/claim",
                              data={"csrf": jane.csrf()}, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/staff/handoffs#request-{request_id}"
    mine = row(jane.client.get("/staff/handoffs").text, request_id)
    assert '<span data-field="status">Claimed by you</span>' in mine
    assert shown(mine, "reply") and shown(mine, "hand-back") and not shown(mine, "claim")
    assert '<label for="reply-1">Reply to the patient</label>' in mine
    # The queue shows the patient's conversation: reading it is recorded, as a transcript's is.
    assert jane.stored("SELECT action, target_id FROM audit_log WHERE action != 'login'") == [
        ("handoff_claimed", str(request_id)), ("viewed", "c1")]


def test_a_request_another_nurse_claimed_shows_who_and_cannot_be_claimed_again(jane):
    request_id = ask_for_staff(jane, "c1", "hello")
    store(jane).claim(request_id, jane.add("bob", name="Nurse Bob"))

    theirs = row(jane.client.get("/staff/handoffs").text, request_id)
    answer = jane.client.post(f"/staff/handoffs/{request_id}/claim", data={"csrf": jane.csrf()})

    assert '<span data-field="status">Claimed by Nurse Bob</span>' in theirs
    assert not (shown(theirs, "claim") or shown(theirs, "reply") or shown(theirs, "hand-back"))
    assert answer.status_code == 409
    assert message(answer) == f"request {request_id} is claimed, not waiting"


def test_another_account_with_the_same_display_name_cannot_reply_to_a_claimed_request(jane):
    # Two accounts named alike, as an earlier version let admins make them.
    database = Database(jane.database_url)
    with database.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO staff_accounts (username, display_name, role, password_hash, "
            "password_changed_at, active, created_at) SELECT 'mallory', display_name, role, "
            "password_hash, password_changed_at, 1, created_at FROM staff_accounts "
            "WHERE username = 'jane'")
    database.engine.dispose()
    request_id = ask_for_staff(jane, "c1", "hello")
    assert jane.client.post(f"/api/staff/handoffs/{request_id}/claim",
                            headers={"X-CSRF-Token": jane.csrf()}).status_code == 200
    jane.client.cookies.clear()
    jane.log_in("mallory")

    page = row(jane.client.get("/staff/handoffs").text, request_id)
    reply = jane.client.post(f"/staff/handoffs/{request_id}/messages",
                             data={"csrf": jane.csrf(), "text": "I am the nurse"})
    api_reply = jane.client.post(f"/api/staff/handoffs/{request_id}/messages",
                                 json={"text": "I am the nurse"},
                                 headers={"X-CSRF-Token": jane.csrf()})

    assert '<span data-field="status">Claimed by Nurse Jane</span>' in page
    assert not shown(page, "reply")
    assert (reply.status_code, message(reply)) == (409, "Claim the request before replying")
    assert api_reply.status_code == 409
    sent = jane.stored("SELECT count(*) FROM audit_log WHERE action = 'staff_message_sent'")
    assert sent == [(0,)]


def test_a_form_without_the_session_s_security_token_changes_nothing(jane):
    request_id = ask_for_staff(jane, "c1", "hello")

    answer = jane.client.post(f"/staff/handoffs/{request_id}/claim", data={"csrf": "guess"})

    assert answer.status_code == 403 and message(answer) == CSRF_REFUSED.replace("'", "&#39;")
    assert store(jane).get(request_id)["status"] == "waiting"


def test_an_empty_reply_is_not_sent_and_gets_a_polite_answer(jane):
    request_id = ask_for_staff(jane, "c1", "hello")
    store(jane).claim(request_id, jane.accounts.account("jane"))

    answer = jane.client.post(f"/staff/handoffs/{request_id}/messages",
                              data={"csrf": jane.csrf(), "text": "   "})

    assert answer.status_code == 400
    assert message(answer) == "Please write a reply of 1 to 2000 characters; nothing was sent."


def test_when_the_assistant_cannot_be_reached_a_hand_back_can_be_tried_again(jane):
    request_id = ask_for_staff(jane, "c1", "hello")
    store(jane).claim(request_id, jane.accounts.account("jane"))

    answer = jane.client.post(f"/staff/handoffs/{request_id}/hand-back",
                              data={"csrf": jane.csrf()})

    assert answer.status_code == 502
    assert message(answer) == "The assistant could not pass this on: Rasa could not be reached (ClientConnectorError)"
    # Still in the queue, claimed: the patient's chat is still with staff.
    assert [r["status"] for r in jane.client.get("/api/staff/handoffs").json()] == ["claimed"]
    assert shown(row(jane.client.get("/staff/handoffs").text, request_id), "hand-back")


@pytest.mark.parametrize("path", ["/staff/handoffs/999/claim", "/staff/handoffs/abc/claim",
                                  "/staff/callbacks/999/done"])
def test_an_unknown_request_gets_a_polite_page(jane, path):
    answer = jane.client.post(path, data={"csrf": jane.csrf()})

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Back to the staff console" in answer.text


def test_callback_requests_are_listed_as_text_and_marked_done(jane):
    ann = store(jane).add_callback("c1", "Ann Smith", "+15550100123", "weekday mornings", True)
    store(jane).add_callback("c2", ATTACK, "bo@example.org", ATTACK, True)

    page = jane.client.get("/staff/callbacks").text
    answer = jane.client.post(f"/staff/callbacks/{ann['id']}/done", data={"csrf": jane.csrf()})
    done = jane.client.get("/staff/callbacks?show=done").text

    assert "<td>+15550100123</td>\n      <td>weekday mornings</td>" in page
    assert "<img src=x" not in page and page.count("&lt;img src=x") == 2
    assert answer.url.path == "/staff/callbacks"
    assert "Marked as done: the callback request from Ann Smith." in answer.text
    assert "Ann Smith" not in answer.text.split("</nav>", 2)[2]  # no longer open
    assert "bo@example.org" in answer.text
    assert re.search(r"Ann Smith</th>.*? by Nurse Jane</td>", done, re.S)
    assert "bo@example.org" not in done


@pytest.mark.parametrize("path", ["/staff/handoffs", "/staff/callbacks"])
def test_a_browser_that_is_not_logged_in_goes_to_the_login_page(console, path):
    assert console.client.get(path, follow_redirects=False).headers["location"] == "/staff/login"
    answer = console.client.post(f"{path}/1/{'claim' if 'handoffs' in path else 'done'}",
                                 follow_redirects=False)
    assert answer.headers["location"] == "/staff/login"
