"""Editors annotating patients' messages from the transcript, without a browser:
the web app on a temporary SQLite database, with conversations saved by Rasa's
own SQL tracker store (in a browser: tests/test_annotations_browser.py)."""
import json
import re
from html import unescape

import pytest

from rasa.shared.core.events import ActiveLoop, SlotSet

from tests.rasa_events import RasaEvents, answer, patient, response
from tests.staff_console import clock, console  # noqa: F401


@pytest.fixture
def conversation(console):
    """A conversation, its patient's message and the assistant's answer: their event ids."""
    rasa = RasaEvents(console.database_url)
    rasa.save("p1", patient("how much does it cost <b>in total</b>?", "ask_duration", 0.52),
              answer("15 to 30 minutes.", ["How Long Does It Take"]))
    rasa.close()
    console.client.app.state.conversation_index.index_new_events()
    [(question,), (reply,)] = console.stored(
        "SELECT event_id FROM conversation_messages ORDER BY event_id")
    return question, reply


def logged_in(console, role: str) -> str:
    console.add(role, role, name=f"Jo {role.title()}")
    console.log_in(role)
    return console.csrf()


def annotate(console, csrf: str, event_id, intent: str = "ask_cost", note: str = "",
             conversation_id: str = "p1"):
    return console.client.post("/staff/annotations", follow_redirects=False, data={
        "csrf": csrf, "conversation_id": conversation_id, "event_id": str(event_id),
        "intent": intent, "note": note})


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_annotate_a_patient_s_message_and_see_it_on_the_transcript(
        console, conversation, role):
    question, reply = conversation
    csrf = logged_in(console, role)
    page = console.client.get("/staff/conversations/p1").text
    shown_now = re.sub(r"<template.*?</template>", "", page, flags=re.S)  # not later ones'
    assert shown_now.count("Annotate this message") == 1  # the patient's message, not the answer
    assert f'<label for="intent-{question}">Intent it should have had</label>' in page
    assert "<option>ask_cost</option>" in page
    assert "+" not in re.search(r'<select id="intent-.*?</select>', page, re.S).group()  # one topic each
    assert '<option value="new topic">New topic' in page

    saved = annotate(console, csrf, question, "ask_cost", note="asked <i>price</i>")

    assert saved.status_code == 303
    assert saved.headers["location"] == f"/staff/conversations/p1#annotations-{question}"
    page = console.client.get(saved.headers["location"]).text
    shown = " ".join(re.search(r'<ul class="annotation-list".*?</ul>', page, re.S).group().split())
    assert "Should be <strong>ask_cost</strong> (“asked &lt;i&gt;price&lt;/i&gt;”)" in shown
    assert f"Jo {role.title()}" in shown and "not exported yet" in shown
    assert "<option selected>ask_cost</option>" in page  # to change it, if need be


def test_staff_see_no_annotation_controls_and_cannot_annotate(console, conversation):
    question, _ = conversation
    csrf = logged_in(console, "staff")
    page = console.client.get("/staff/conversations/p1").text

    refused = annotate(console, csrf, question)

    assert "Annotate this message" not in page and "annotations.js" not in page
    assert refused.status_code == 403
    assert "This needs the editor role; your account has the staff role." in unescape(refused.text)
    assert console.stored("SELECT count(*) FROM annotations") == [(0,)]


def test_an_answer_to_a_form_s_question_is_not_offered_for_annotation(console, conversation):
    rasa = RasaEvents(console.database_url)
    rasa.save("p3", patient("I'd like a call back", "request_human", 0.98),
              ActiveLoop("callback_form"), SlotSet("requested_slot", "callback_contact"),
              response("utter_ask_callback_contact", "Which phone number or email address?"),
              patient("+1 555 0100 123", "nlu_fallback", 0.3))
    rasa.close()
    csrf = logged_in(console, "editor")

    page = console.client.get("/staff/conversations/p3").text
    [(phone,)] = console.stored(
        "SELECT event_id FROM conversation_messages WHERE text = '+1 555 0100 123'")
    refused = annotate(console, csrf, phone, conversation_id="p3")

    shown_now = re.sub(r"<template.*?</template>", "", page, flags=re.S)
    assert shown_now.count("Annotate this message") == 1  # the request, not the phone number
    assert f'id="annotations-{phone}"' not in page
    assert "Answer to the form&#39;s question: callback_contact" in page
    assert refused.status_code == 404
    assert console.stored("SELECT count(*) FROM annotations") == [(0,)]


def test_annotating_needs_the_session_s_security_token(console, conversation):
    logged_in(console, "editor")

    refused = annotate(console, "not-the-token", conversation[0])

    assert refused.status_code == 403
    assert console.stored("SELECT count(*) FROM annotations") == [(0,)]


@pytest.mark.parametrize("change, status, message", [
    ({"intent": "ask_weather"}, 400, "Please choose the intent the message should have had"),
    ({"intent": ""}, 400, "Please choose the intent the message should have had"),
    ({"event_id": "x"}, 400, "The message to annotate is missing"),
    ({"event_id": "99999999999999999999"}, 400, "The message to annotate is missing"),
    ({"note": "n" * 501}, 400, "Please keep the note to 500 characters"),
    ({"event_id": "reply"}, 404, "This conversation has no patient's message with this id"),
    ({"conversation_id": "p2"}, 404, "This conversation has no patient's message with this id"),
    ({"conversation_id": "p1\x00"}, 404, "This conversation has no patient's message with this id"),
])
def test_what_cannot_be_saved_gets_a_polite_page(console, conversation, change, status, message):
    question, reply = conversation
    csrf = logged_in(console, "editor")
    fields = {"event_id": question, **change}
    if fields["event_id"] == "reply":
        fields["event_id"] = reply

    answer_page = annotate(console, csrf, **fields)

    assert answer_page.status_code == status
    assert answer_page.headers["content-type"].startswith("text/html")
    assert message in unescape(answer_page.text) and "nothing was saved" in answer_page.text
    assert console.stored("SELECT count(*) FROM annotations") == [(0,)]


def test_annotating_again_changes_it_until_it_is_exported(console, conversation):
    question, _ = conversation
    csrf = logged_in(console, "editor")
    annotate(console, csrf, question, "ask_cost")
    annotate(console, csrf, question, "new topic", note="insurance forms")
    assert console.stored("SELECT intent, note FROM annotations") == [
        ("new topic", "insurance forms")]

    console.client.app.state.annotations.mark_exported([1])
    annotate(console, csrf, question, "ask_cost")

    assert console.stored("SELECT intent, exported_at IS NULL FROM annotations ORDER BY id") == [
        ("new topic", 0), ("ask_cost", 1)]
    page = console.client.get("/staff/conversations/p1").text
    assert "listed for the content team" in page and "not exported yet" in page


def test_the_annotation_keeps_a_copy_of_the_message_and_the_audit_log_neither(
        console, conversation):
    question, _ = conversation
    csrf = logged_in(console, "editor")

    annotate(console, csrf, question, "ask_cost", note="secret note")

    assert console.stored("SELECT text, conversation_id, event_id FROM annotations") == [
        ("how much does it cost <b>in total</b>?", "p1", question)]
    [entry] = [e for e in console.audit.page(1).entries if e["action"] == "message_annotated"]
    assert (entry["username"], entry["target_type"], entry["target_id"]) == (
        "editor", "conversation_message", str(question))
    assert entry["details"] == {"conversation_id": "p1", "intent": "ask_cost", "annotation_id": 1}
    recorded = json.dumps(console.audit.page(1).entries)
    assert "cost" not in recorded.replace("ask_cost", "") and "secret" not in recorded


def test_the_transcript_has_controls_for_messages_that_arrive_later(console, conversation):
    logged_in(console, "editor")

    page = console.client.get("/staff/conversations/p1").text

    template = re.search(r'<template id="annotation-template">(.*?)</template>', page,
                         re.S).group(1)
    assert 'id="annotations-0"' in template and 'name="event_id" value="0"' in template
    assert '<script type="module" src="/static/staff/annotations.js"></script>' in page
