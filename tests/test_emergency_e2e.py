"""End to end: an emergency, by each of the three paths the guidance takes
(Rasa's rule, the paused conversation's watch, the socket channel's red-flag
fast path), during and outside opening hours, with the real Rasa server
(socket.io and REST), action server, web app and its claim-timeout watcher,
and database (SQLite, and PostgreSQL where it runs). The guidance names the
clinic's emergency number and carries the metadata the chat widget shows as an
alert; the urgent request is never turned into a callback offer and stays at
the top of the staff queue. tests/test_emergency_browser.py shows it in Chromium."""
import time
import uuid

import pytest

from clinic.database import Database
from clinic.handoff_store import HandoffStore
from clinic.patient_socket import PatientSocket
from tests.heavy_messages import heavy_message
from tests.test_emergency_priority import say_at_once
from tests.test_handoff_e2e import request_for, stored_bot_message

EMERGENCY = "i suddenly have crushing chest pain and cant breathe"
GUIDANCE = "This may be an emergency. Please call 911 now"
MARKED = {"utter_action": "utter_emergency", "emergency_number": "911"}
CALLBACK_OFFER = ("nobody at the clinic is free", "What name should the clinic ask for?",
                  "call or email you back")
SHORT_TIMEOUT = 0.05  # minutes: the watcher checks every 1.5 s


@pytest.fixture
def patients(stack):
    sockets = []

    def connect() -> PatientSocket:
        sockets.append(PatientSocket(stack.rasa_url))
        return sockets[-1]

    yield connect
    for socket in sockets:
        socket.close()


def assert_marked(message: dict) -> None:
    assert message["text"].startswith(GUIDANCE)
    assert "your local emergency number" not in message["text"]
    assert {key: message["metadata"].get(key) for key in MARKED} == MARKED


def no_callback_offer(messages) -> bool:
    return not any(offer in message["text"] for message in messages for offer in CALLBACK_OFFER)


def wait_for_the_claim_timeout_watcher(stack) -> None:
    """Return once the watcher has offered a callback for a request made now (no
    emergency): every request older than that one has had its turn too."""
    database = Database(stack.database_url)
    try:
        control = HandoffStore(database).request_handoff(
            f"control-{uuid.uuid4().hex}", "patient asked for a person", False, {}).request
    finally:
        database.engine.dispose()
    deadline = time.monotonic() + 40  # the watcher sleeps up to 15 s between rounds
    while any(r["id"] == control["id"] for r in stack.staff("GET", "/handoffs")[1]):
        assert time.monotonic() < deadline, "the claim-timeout watcher offered no callback"
        time.sleep(0.5)


def hand_back(stack, conversation_id: str) -> None:
    """A member of staff deals with it (and the shared queue is left as it was)."""
    request = request_for(stack, conversation_id)
    if request["status"] == "waiting":
        assert stack.staff("POST", f"/handoffs/{request['id']}/claim")[0] == 200
    assert stack.staff("POST", f"/handoffs/{request['id']}/hand-back")[0] == 200


def test_during_opening_hours_an_emergency_nobody_claims_stays_urgent_and_is_never_a_callback(
        stack, patients):
    with stack.settings.claim_timeout(SHORT_TIMEOUT):
        # By the rule: the guidance, then what the clinic will do.
        emergency_only = patients()
        emergency_only.say(EMERGENCY)
        assert_marked(emergency_only.wait_for("This may be an emergency"))
        emergency_only.wait_for("I've also alerted the clinic's staff")

        # By the watch: a patient waiting for staff reports an emergency.
        waiting = patients()
        waiting.say("please put me through to a member of staff")
        waiting.wait_for("will join this chat")
        waiting.say(EMERGENCY)
        assert_marked(waiting.wait_for("This may be an emergency", timeout=20))
        waiting.wait_for("I've also alerted the clinic's staff")

        # A request nobody claims that is no emergency: the watcher offers a callback.
        other = patients()
        other.say("can I talk to a nurse please")
        other.wait_for("will join this chat")
        other.wait_for("nobody at the clinic is free", timeout=40)
        other.wait_for("What name should the clinic ask for?")

        # Well past the timeout, and the watcher's next rounds: nothing for the emergencies.
        silent = emergency_only.messages_for(5) + waiting.messages_for(1)
    assert no_callback_offer(silent), silent
    _, queue = stack.staff("GET", "/handoffs")
    mine = [r for r in queue if r["conversation_id"] in (emergency_only.session_id,
                                                         waiting.session_id)]
    assert [(r["urgent"], r["status"], r["reason"]) for r in mine] == [
        (True, "waiting", "emergency reported"), (True, "waiting", "patient asked for a person")]
    assert queue[0]["urgent"] is True  # urgent requests head the queue
    assert other.session_id not in [r["conversation_id"] for r in queue]
    for patient in (emergency_only, waiting):
        hand_back(stack, patient.session_id)


def test_outside_opening_hours_the_patient_is_told_once_and_staff_find_it_when_back(
        stack, patients):
    patient = patients()
    with stack.settings.clinic_closed(), stack.settings.claim_timeout(SHORT_TIMEOUT):
        patient.say(EMERGENCY)
        assert_marked(patient.wait_for("This may be an emergency"))
        told = patient.wait_for("nobody is reading this chat right now")
        assert "will be the first thing the clinic's staff see when they are back" in told["text"]
        assert "don't wait for them" in told["text"]

        # Said again: the guidance again, but not the note, and never a callback form.
        patient.say("the chest pain is getting worse")
        wait_for_the_claim_timeout_watcher(stack)
        later = patient.messages_for(3)
        assert any(m["text"].startswith(GUIDANCE) for m in later), later
        assert no_callback_offer(later), later
        assert not any("nobody is reading this chat" in m["text"] for m in later), later

        request = request_for(stack, patient.session_id)
        assert (request["urgent"], request["status"]) == (True, "waiting")

    # The clinic opens: the request is still there, at the top, until staff deal with it.
    time.sleep(3)
    _, queue = stack.staff("GET", "/handoffs")
    assert queue[0]["urgent"] is True
    assert request_for(stack, patient.session_id)["status"] == "waiting"
    hand_back(stack, patient.session_id)


def test_the_fast_path_sends_the_same_guidance(stack, patients):
    """Sent while the patient's earlier messages wait for their answers: the
    socket channel's own guidance comes first, as the rule's."""
    patient = patients()
    say_at_once(patient, [heavy_message(number, 500) for number in range(2)] + [EMERGENCY])

    first = patient.next_message(timeout=120)
    assert_marked(first)
    # The earlier messages' answers, then the rule's guidance in its turn.
    assert_marked(patient.wait_for("This may be an emergency", timeout=300))
    patient.wait_for("I've also alerted the clinic's staff")
    hand_back(stack, patient.session_id)


def test_the_history_after_a_reload_shows_the_guidance_as_it_was_sent(stack, patients):
    patient = patients()
    patient.say("can someone from the clinic help me")
    patient.wait_for("will join this chat")
    patient.say(EMERGENCY)  # the watch's guidance
    patient.wait_for("I've also alerted the clinic's staff", timeout=20)
    request = request_for(stack, patient.session_id)
    hand_back(stack, patient.session_id)
    patient.wait_for("automated assistant again")
    patient.say(EMERGENCY)  # the rule's
    patient.wait_for("I've also alerted the clinic's staff")

    reloaded = PatientSocket(stack.rasa_url, session_id=patient.session_id, token=patient.token)
    reloaded.close()
    guidance = [m for m in reloaded.history if m["text"].startswith("This may be an emergency")]
    assert len(guidance) == 2
    for message in guidance:
        assert message["sender"] == "assistant"
        assert_marked(message)
    assert request["id"] != request_for(stack, patient.session_id)["id"]  # a new request
    hand_back(stack, patient.session_id)


def test_over_rest_the_guidance_carries_the_same_metadata(stack):
    patient = f"patient-{uuid.uuid4().hex}"
    replies = stack.send(patient, EMERGENCY)

    guidance = [r for r in replies if r["text"].startswith("This may be an emergency")]
    assert guidance and all({k: r["metadata"].get(k) for k in MARKED} == MARKED for r in guidance)
    assert any("I've also alerted the clinic's staff" in r["text"] for r in replies)
    hand_back(stack, patient)

    # A paused conversation's guidance comes through Rasa's API: stored the same way.
    other = f"patient-{uuid.uuid4().hex}"
    stack.send(other, "can someone from the clinic call me")
    stack.send(other, EMERGENCY)
    stored = stored_bot_message(stack, other, GUIDANCE)
    assert {k: stored["metadata"].get(k) for k in MARKED} == MARKED
    hand_back(stack, other)


def test_without_an_emergency_number_the_guidance_says_your_local_emergency_number(stack):
    patient = f"patient-{uuid.uuid4().hex}"
    with stack.settings.changed(lambda s: s.pop("emergency_number")):
        replies = stack.send(patient, EMERGENCY)

    [guidance] = [r for r in replies if r["text"].startswith("This may be an emergency")]
    assert guidance["text"].startswith(
        "This may be an emergency. Please call your local emergency number now")
    assert guidance["metadata"]["utter_action"] == "utter_emergency"
    assert "emergency_number" not in guidance["metadata"]
    hand_back(stack, patient)
