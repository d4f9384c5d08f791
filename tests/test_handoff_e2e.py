"""End to end: handoff to staff and back in the patient's own chat, with the real
Rasa server (socket.io and REST), action server, web app and database (SQLite,
and PostgreSQL where it runs)."""
import json
import re
import time
import uuid

import pytest
import yaml

from clinic.patient_socket import PatientSocket
from clinic.settings import PROJECT_ROOT
from tests.test_patient_rest import texts


@pytest.fixture
def patient(stack):
    socket = PatientSocket(stack.rasa_url)
    yield socket
    socket.close()


def request_for(stack, conversation_id):
    status, requests = stack.staff("GET", "/handoffs")
    assert status == 200
    return next(r for r in requests if r["conversation_id"] == conversation_id)


def test_staff_take_over_the_patient_s_chat_and_hand_it_back(stack, patient):
    patient.say("can I talk to a nurse please")
    joining = patient.wait_for("A member of the clinic's staff will join this chat")
    assert joining["quick_replies" if "quick_replies" in joining else "buttons"]

    # The bot is silent while the patient waits; messages are kept for staff.
    patient.say("hello? is anyone there")
    assert patient.messages_for(3) == []
    stored = [e["text"] for e in stack.stored_events(patient.session_id) if e["event"] == "user"]
    assert stored[-1] == "hello? is anyone there"

    request = request_for(stack, patient.session_id)
    assert request["status"] == "waiting"
    assert request["reason"] == "patient asked for a person"
    assert "can I talk to a nurse please" in request["summary"]["last_messages"]
    assert stack.staff("POST", f"/handoffs/{request['id']}/claim")[0] == 200
    # The patient is told who joined, as from staff; the chat's history keeps it.
    joined = patient.wait_for("Nurse Jane joined the chat")
    assert joined["metadata"]["from"] == "clinic_staff"
    assert joined["metadata"]["handoff"] == "joined"
    assert joined["metadata"]["staff_name"] == "Nurse Jane"
    stored_bot_message(stack, patient.session_id, "Nurse Jane joined the chat")

    sent_at = time.monotonic()
    status, _ = stack.staff("POST", f"/handoffs/{request['id']}/messages",
                            body={"text": "Hello, this is Jane, a nurse at the clinic."})
    assert status == 200
    staff_message = patient.wait_for("this is Jane")
    print(f"staff message reached the patient's socket in "
          f"{(staff_message['received_at'] - sent_at) * 1000:.0f} ms")
    [stored_staff] = [e for e in stack.stored_events(patient.session_id)
                      if e["event"] == "bot" and "this is Jane" in (e.get("text") or "")]
    assert stored_staff["metadata"]["from"] == "clinic_staff"
    assert stored_staff["metadata"]["staff_name"] == "Nurse Jane"
    # The audit log has the message, without its text.
    status, audit = stack.staff("GET", "/audit", name="Ann Admin", role="admin")
    assert status == 200
    assert {"staff_message_sent", "handoff_claimed"} <= {
        e["action"] for e in audit["entries"] if e["target_id"] == str(request["id"])}
    assert "this is Jane" not in json.dumps(audit)

    # An emergency still gets the guidance at once, and the request becomes urgent.
    patient.say("i suddenly have crushing chest pain and cant breathe")
    patient.wait_for("call 911 now", timeout=15)
    assert request_for(stack, patient.session_id)["urgent"] is True

    status, resolved = stack.staff("POST", f"/handoffs/{request['id']}/hand-back")
    assert (status, resolved["status"]) == (200, "resolved")
    handed_back = patient.wait_for("I'm the automated assistant again")
    assert handed_back["metadata"]["handoff"] == "ended"

    patient.say("how long does a session take?")
    patient.wait_for("15 to 30 minutes")


def test_the_patient_can_cancel_and_chat_with_the_assistant_again(stack, patient):
    patient.say("I want to speak to a real person")
    patient.wait_for("will join this chat")

    patient.say("never mind, I'll keep chatting with the bot")
    patient.wait_for("I've cancelled your request for staff")
    time.sleep(1)  # the conversation is resumed once that message is handled

    patient.say("what does prolotherapy treat?")
    patient.wait_for("osteoarthritis")
    status, requests = stack.staff("GET", "/handoffs")
    assert patient.session_id not in [r["conversation_id"] for r in requests]


def suggested_phrases_of_the_waiting_message():
    """What the waiting message tells the patient to say (in quotes) or click,
    as domain/handoff.yml words it now."""
    [variant] = yaml.safe_load((PROJECT_ROOT / "domain" / "handoff.yml").read_text())[
        "responses"]["utter_staff_will_join"]
    said = re.findall(r'"([^"]+)"', variant["text"])
    assert said, "the waiting message no longer says how to go back to the assistant"
    return said + [button["title"] for button in variant.get("buttons", [])]


def spellings(phrase):
    """A phrase as patients type it: as written, run together, in capitals with a stop."""
    return [phrase, phrase.replace(" ", ""), f"{phrase.upper()}!"]


@pytest.mark.parametrize("typed", [
    typed for phrase in suggested_phrases_of_the_waiting_message() for typed in spellings(phrase)])
def test_every_phrase_the_waiting_message_suggests_cancels_the_request(sqlite_stack, typed):
    stack = sqlite_stack
    patient = PatientSocket(stack.rasa_url)
    try:
        patient.say("I'd like to talk to a nurse")
        patient.wait_for("will join this chat")

        patient.say(typed)
        cancelled = patient.wait_for("I've cancelled your request for staff", timeout=10)
        assert cancelled["metadata"]["handoff"] == "ended"
        _, requests = stack.staff("GET", "/handoffs")
        assert patient.session_id not in [r["conversation_id"] for r in requests]
    finally:
        patient.close()


def test_asking_for_staff_again_while_waiting_keeps_the_place_and_says_so(stack, patient):
    patient.say("can I talk to a nurse please")
    patient.wait_for("will join this chat")

    patient.say("/request_human")  # the widget's "Talk to staff"
    again = patient.wait_for("already in the queue", timeout=10)
    patient.say("I really need to speak to a person")
    patient.wait_for("already in the queue", timeout=10)

    assert "Patients ahead of you" in again["text"]
    assert again["metadata"]["handoff"] == "waiting"
    _, requests = stack.staff("GET", "/handoffs")
    assert [r["conversation_id"] for r in requests].count(patient.session_id) == 1


def test_staff_api_refuses_a_browser_that_is_not_logged_in(stack):
    assert stack.staff("GET", "/handoffs", name=None)[0] == 401
    assert stack.staff("GET", "/callbacks", name=None)[0] == 401
    status, _ = stack.staff("POST", "/handoffs/1/claim", name=None)
    assert status == 401


def stored_bot_message(stack, conversation_id, text, timeout=10.0):
    """The first bot message containing `text` in the stored conversation, waiting for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in stack.stored_events(conversation_id):
            if event["event"] == "bot" and text in (event.get("text") or ""):
                return event
        time.sleep(0.2)
    raise AssertionError(f"no bot message with {text!r} stored within {timeout} s")


def test_over_rest_the_bot_pauses_and_an_emergency_still_gets_the_guidance(stack):
    patient = f"patient-{uuid.uuid4().hex}"

    assert "will join this chat" in texts(stack.send(patient, "can someone from the clinic call me"))
    assert stack.send(patient, "are you there") == []
    # REST answers only with what the request itself produced; the guidance follows
    # straight after, into the conversation (a socket.io patient sees it at once).
    stack.send(patient, "my throat is swelling up and i cant breathe")
    stored_bot_message(stack, patient, "call 911 now")

    request = request_for(stack, patient)
    assert request["urgent"] is True
    stack.staff("POST", f"/handoffs/{request['id']}/claim")
    stack.staff("POST", f"/handoffs/{request['id']}/hand-back")
    assert "15 to 30 minutes" in texts(stack.send(patient, "how long is a session"))


def callback_form(stack, patient, contact_attempts, consent):
    replies = [texts(stack.send(patient, "I'd like to talk to a person"))]
    for text in ["Ann Smith", *contact_attempts, "weekday mornings", consent]:
        replies.append(texts(stack.send(patient, text)))
    return replies


def test_outside_hours_a_callback_is_taken_with_a_re_asked_contact(stack):
    patient = f"patient-{uuid.uuid4().hex}"
    with stack.settings.clinic_closed():
        replies = callback_form(stack, patient, ["call me maybe", "+1 555 0100 123"], "/affirm")

    assert "The clinic is closed right now" in replies[0]
    assert "What name should the clinic ask for?" in replies[0]
    assert "doesn't look like a phone number" in replies[2]
    assert "Which phone number or email address" in replies[2]
    assert "Thank you, Ann Smith" in replies[-1] and "+15550100123" in replies[-1]
    status, callbacks = stack.staff("GET", "/callbacks")
    [callback] = [c for c in callbacks if c["conversation_id"] == patient]
    assert (callback["contact"], callback["best_time"]) == ("+15550100123", "weekday mornings")
    status, done = stack.staff("POST", f"/callbacks/{callback['id']}/done")
    assert (status, done["status"], done["done_by"]) == (200, "done", "Nurse Jane")


# A name, a phone number and a time: the model reads them as questions it
# hardly understands (nlu_fallback or low confidence), as in the trial.
ANSWERS = ("Mia", "07700 900123", "tomorrow morning")


def test_answers_to_the_callback_form_are_not_taken_for_misunderstood_questions(stack):
    patient = f"patient-{uuid.uuid4().hex}"
    with stack.settings.clinic_closed():
        for text in ["I'd like to talk to a person", *ANSWERS, "/affirm"]:
            replies = texts(stack.send(patient, text))
    assert "Thank you, Mia" in replies

    deadline = time.monotonic() + 10
    while True:  # the web app indexes what Rasa stored about every second
        status, transcript = stack.staff("GET", f"/conversations/{patient}/messages")
        messages = transcript.get("messages", []) if status == 200 else []
        said = {m["text"]: m for m in messages if m["sender"] == "patient"}
        if any("Thank you, Mia" in m["text"] for m in messages):
            break
        assert time.monotonic() < deadline, "the conversation was not indexed within 10 s"
        time.sleep(0.3)
    answers = [said[text] for text in ANSWERS]

    assert [m["form_slot"] for m in answers] == [
        "callback_name", "callback_contact", "callback_time"]
    assert said["I'd like to talk to a person"]["form_slot"] is None
    # The model did read some of them as questions it didn't understand ...
    assert any(m["intent"] == "nlu_fallback" or m["confidence"] < 0.6 for m in answers)
    # ... but the conversation is not flagged for it, and they are shown as answers.
    assert transcript["conversation"]["flags"] == []
    assert all(m["understood"].startswith("Answer to the form's question") for m in answers)
    for flag in ("fallback", "low_confidence"):
        _, listing = stack.staff("GET", f"/conversations?flag={flag}&q=Ann+Smith")
        assert patient not in [c["sender_id"] for c in listing["conversations"]]


def test_a_withdrawn_consent_stores_nothing(stack):
    patient = f"patient-{uuid.uuid4().hex}"
    with stack.settings.clinic_closed():
        replies = callback_form(stack, patient, ["ann@example.org"], "/deny")

    assert "I haven't kept your details" in replies[-1]
    _, callbacks = stack.staff("GET", "/callbacks")
    assert patient not in [c["conversation_id"] for c in callbacks]


def test_the_patient_can_stop_the_callback_form(stack):
    patient = f"patient-{uuid.uuid4().hex}"
    with stack.settings.clinic_closed():
        stack.send(patient, "can a nurse call me back")
        stack.send(patient, "Ann")

        reply = texts(stack.send(patient, "stop, I don't want to give my phone number"))

    assert "I've stopped and haven't kept your details" in reply
    assert "15 to 30 minutes" in texts(stack.send(patient, "how long does a session take"))


def test_a_request_nobody_claims_in_time_becomes_a_callback_offer(stack, patient):
    with stack.settings.claim_timeout(0.05):
        patient.say("please put me through to a member of staff")
        patient.wait_for("will join this chat")
        patient.wait_for("nobody at the clinic is free", timeout=40)
        patient.wait_for("What name should the clinic ask for?")
