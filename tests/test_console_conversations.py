"""The staff console's conversation list and transcripts without a browser: the
web app on a temporary SQLite database, with conversations saved by Rasa's own
SQL tracker store (the pages' live updates: tests/test_conversations_browser.py)."""
import json
from datetime import datetime, timezone
from html import unescape
from html.parser import HTMLParser

import pytest

from clinic.database import Database
from clinic.handoff_store import HandoffStore
from clinic.staff import Staff
from tests.rasa_events import RasaEvents, answer, click, offer, patient, staff_message
from tests.staff_console import clock, console  # noqa: F401

ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def rasa(console):
    events = RasaEvents(console.database_url)
    yield events
    events.close()


@pytest.fixture
def handoffs(console):
    database = Database(console.database_url)
    yield HandoffStore(database)
    database.engine.dispose()


@pytest.fixture
def jane(console):
    console.add("jane")
    console.log_in("jane")
    return console


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows, self._in_body = [], False

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag == "td":
            self.rows[-1].append("")

    def handle_endtag(self, tag) -> None:
        if tag == "tbody":
            self._in_body = False

    def handle_data(self, data) -> None:
        if self._in_body and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def rows(page: str) -> list:
    """The list's rows, each as the text of its cells (as a browser shows them)."""
    parser = _Cells()
    parser.feed(page)
    return [[" ".join(cell.split()) for cell in row] for row in parser.rows]


def test_logged_out_the_list_sends_to_the_login_page_and_the_api_answers_401(console):
    page = console.client.get("/staff/conversations", follow_redirects=False)
    transcript = console.client.get("/staff/conversations/p1", follow_redirects=False)
    api = console.client.get("/api/staff/conversations")
    messages = console.client.get("/api/staff/conversations/p1/messages")

    assert (page.status_code, page.headers["location"]) == (303, "/staff/login")
    assert (transcript.status_code, transcript.headers["location"]) == (303, "/staff/login")
    assert api.status_code == messages.status_code == 401


def test_the_list_shows_each_conversation_with_its_flags_newest_first(jane, rasa, handoffs):
    rasa.save("calm", patient("What does prolotherapy treat?", "ask_conditions", 0.97,
                              timestamp=1_780_000_000.0),
              answer("Osteoarthritis.", ["Conditions It Treats"], timestamp=1_780_000_001.0))
    rasa.save("urgent", patient("I have chest pain", "report_emergency", 1.0,
                                timestamp=1_780_000_100.0))
    handoffs.mark_urgent("urgent", "emergency reported", {"last_messages": [], "topics": []})

    page = jane.client.get("/staff/conversations")

    assert page.status_code == 200
    assert rows(page.text) == [
        ["I have chest pain", "28 May 2026, 16:28", "28 May 2026, 16:28", "1",
         "Emergency Urgent Waiting for staff"],
        ["What does prolotherapy treat?", "28 May 2026, 16:26", "28 May 2026, 16:26", "2", ""],
    ]
    assert '<a href="/staff/conversations">Conversations</a>' in page.text
    assert 'href="/staff/conversations/calm"' in page.text


def test_filters_are_a_shareable_address_and_shown_again_in_the_form(jane, rasa):
    rasa.save("knee", patient("Can it help my knee?", "ask_conditions", 0.55))
    rasa.save("back", patient("Can it help my back?", "ask_conditions", 0.9))

    page = jane.client.get("/staff/conversations?q=KNEE&flag=low_confidence&intent=ask_conditions")
    api = jane.client.get("/api/staff/conversations?q=KNEE&flag=low_confidence")

    assert [row[0] for row in rows(page.text)] == ["Can it help my knee?"]
    assert 'name="q" type="search" value="KNEE"' in page.text
    assert '<option value="low_confidence" selected>Low confidence</option>' in page.text
    assert "<option selected>ask_conditions</option>" in page.text
    assert [c["sender_id"] for c in api.json()["conversations"]] == ["knee"]
    nothing = jane.client.get("/staff/conversations?q=elbow")
    assert "No conversations match these filters." in nothing.text


def test_dates_are_the_clinic_s_days(jane, rasa):
    # 02:00 UTC on 10 March is still 9 March in New York (settings/clinic.yml).
    rasa.save("late-evening", patient("hello", "greet",
                                      timestamp=datetime(2026, 3, 10, 2, tzinfo=timezone.utc)
                                      .timestamp()))

    ninth = jane.client.get("/api/staff/conversations?from=2026-03-09&to=2026-03-09").json()
    tenth = jane.client.get("/api/staff/conversations?from=2026-03-10").json()

    assert [c["sender_id"] for c in ninth["conversations"]] == ["late-evening"]
    assert tenth["conversations"] == []


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01", "The From date '2026-13-01' is not a date like 2024-06-30."),
    ("from=2026-03-10&to=2026-03-01", "The From date is after the To date."),
    ("flag=purple", "There is no flag 'purple': choose one from the list."),
    ("q=" + "x" * 201, "Please search for at most 200 characters."),
    ("page=0", "There is no page '0': pages are numbered from 1."),
    ("page=99999999999999999999",
     "There is no page '99999999999999999999': pages are numbered from 1."),
])
def test_filters_that_cannot_be_used_get_a_polite_answer(jane, query, message):
    page = jane.client.get(f"/staff/conversations?{query}")
    api = jane.client.get(f"/api/staff/conversations?{query}")

    assert page.status_code == api.status_code == 400
    assert message in unescape(page.text)
    assert api.json() == {"detail": message}


def test_the_transcript_shows_intents_sources_staff_and_handoff_events(jane, rasa, handoffs):
    rasa.save("p1", patient("How long does it take?", "ask_duration", 0.912),
              answer("15 to 30 minutes.", ["How Long Does It Take"]),
              patient("can I talk to a nurse", "request_human", 0.99))
    request = handoffs.request_handoff("p1", "patient asked for a person", False,
                                    {"last_messages": [], "topics": []})
    handoffs.claim(request.request["id"], Staff(1, "jane", "Nurse Jane", "staff"))
    rasa.save("p1", staff_message("Hello, this is Jane.", "Nurse Jane"))

    page = unescape(jane.client.get("/staff/conversations/p1").text)

    assert "Intent: ask_duration, confidence 0.91" in page
    assert "15 to 30 minutes." in page
    assert ('Source: the clinic\'s Prolotherapy page, "How Long Does It Take" '
            '(version 1, reviewed 26 Nov 2026).') in page
    assert "Clinic staff · Nurse Jane" in page
    assert "Asked for staff: patient asked for a person" in page
    assert "Claimed by Nurse Jane" in page
    assert page.index("can I talk to a nurse") < page.index("Asked for staff") < page.index(
        "Hello, this is Jane.")


def test_a_clicked_button_shows_as_its_title_marked_as_a_button(jane, rasa):
    rasa.save("p1", offer("utter_ask_which_topic", "Which would you like to know about?",
                          [("How long it takes", "/ask_duration")]),
              click("/ask_duration"), answer("15 to 30 minutes.", ["How Long Does It Take"]))

    listing = jane.client.get("/staff/conversations").text
    transcript = jane.client.get("/staff/conversations/p1").text
    api = jane.client.get("/api/staff/conversations/p1/messages").json()

    assert ('<span data-field="question">How long it takes</span> <span data-field='
            '"question_marker" class="button-marker">(button)</span>') in listing
    assert '<dd>How long it takes <span class="button-marker">(button)</span></dd>' in transcript
    assert ('<span data-field="text">How long it takes</span> <span data-field="marker" '
            'class="button-marker">(button)</span>') in transcript
    assert "/ask_duration" not in listing + transcript
    assert [(m["text"], m["marker"], m["button_payload"]) for m in api["messages"]] == [
        ("Which would you like to know about?", "", None),
        ("How long it takes", "(button)", "/ask_duration"),
        ("15 to 30 minutes.", "", None)]
    assert (api["conversation"]["question"], api["conversation"]["question_marker"]) == (
        "How long it takes", "(button)")


def test_opening_a_transcript_is_in_the_audit_log_without_its_text(jane, rasa):
    rasa.save("p1", patient("my secret question", "greet"))

    jane.client.get("/staff/conversations/p1")
    jane.client.get("/api/staff/conversations/p1/messages")  # the whole of it, too
    jane.client.get("/api/staff/conversations/p1/messages?after=1")  # a live update: no

    views = [entry for entry in jane.audit.page(1).entries if entry["action"] == "viewed"]
    assert [(e["username"], e["target_type"], e["target_id"]) for e in views] == [
        ("jane", "conversation", "p1")] * 2
    assert "secret" not in json.dumps(jane.audit.page(1).entries)


def test_the_api_gives_the_messages_after_the_last_one_shown(jane, rasa):
    rasa.save("p1", patient("first", "greet"), patient("second", "greet"))
    first, second = jane.client.get("/api/staff/conversations/p1/messages").json()["messages"]

    later = jane.client.get(f"/api/staff/conversations/p1/messages?after={first['event_id']}")

    assert [m["text"] for m in later.json()["messages"]] == ["second"]
    for after in ("x", "-1", "99999999999999999999"):
        assert jane.client.get(
            f"/api/staff/conversations/p1/messages?after={after}").status_code == 400


def test_an_unknown_conversation_gets_a_polite_404(jane):
    page = jane.client.get("/staff/conversations/nobody")
    api = jane.client.get("/api/staff/conversations/nobody/messages")

    assert page.status_code == api.status_code == 404
    assert "There is no conversation with this id" in page.text


def test_what_a_patient_wrote_is_shown_as_text_on_both_pages(jane, rasa):
    rasa.save("odd/id?<b>", patient(ATTACK, "greet"))

    listing = jane.client.get("/staff/conversations").text
    transcript = jane.client.get("/staff/conversations/odd%2Fid%3F%3Cb%3E")

    assert transcript.status_code == 200
    for page in (listing, transcript.text):
        assert ATTACK not in page and "<img" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" \
            in page
