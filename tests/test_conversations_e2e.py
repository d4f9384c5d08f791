"""End to end: patients chat with the real Rasa server (REST), and the staff
console's conversation list and transcripts show what happened, with the
right flags, on SQLite and on PostgreSQL."""
import re
import uuid
from contextlib import contextmanager


def new_patient() -> str:
    return f"patient-{uuid.uuid4().hex[:12]}"


def conversation(stack, sender_id: str) -> dict:
    status, answer = stack.staff("GET", f"/conversations/{sender_id}/messages")
    assert status == 200, answer
    return answer


def listed(stack, query: str) -> dict:
    status, answer = stack.staff("GET", f"/conversations?{query}")
    assert status == 200, answer
    return {c["sender_id"]: [flag["name"] for flag in c["flags"]]
            for c in answer["conversations"]}


@contextmanager
def claimed_request(stack, sender_id: str):
    """The conversation's handoff request, claimed; handed back at the end, so
    no other test finds it in the queue."""
    status, requests = stack.staff("GET", "/handoffs")
    request = next(r for r in requests if r["conversation_id"] == sender_id)
    assert stack.staff("POST", f"/handoffs/{request['id']}/claim")[0] == 200
    try:
        yield request
    finally:
        stack.staff("POST", f"/handoffs/{request['id']}/hand-back")


def test_an_answered_question_shows_its_intent_confidence_and_source(stack):
    patient = new_patient()
    stack.send(patient, "What does prolotherapy treat?")

    question, answer = conversation(stack, patient)["messages"]

    assert (question["sender"], question["text"], question["intent"]) == (
        "patient", "What does prolotherapy treat?", "ask_conditions")
    assert re.match(r"Intent: ask_conditions, confidence [01]\.\d\d", question["understood"])
    assert answer["sender"] == "assistant" and "osteoarthritis" in answer["text"]
    assert answer["source"] == ("Source: the clinic's Prolotherapy page, \"Conditions It Treats\" "
                                "(version 1, reviewed 26 Nov 2026).")
    assert "Source:" not in answer["text"]  # once, as the caption
    assert listed(stack, "q=what+does+prolotherapy+treat")[patient] == []


def test_a_message_not_understood_is_flagged_fallback(stack):
    patient = new_patient()
    stack.send(patient, "/nlu_fallback")

    assert listed(stack, "flag=fallback")[patient] == ["fallback"]
    assert conversation(stack, patient)["conversation"]["first_question"] == "/nlu_fallback"


def test_an_emergency_is_flagged_emergency_and_urgent(stack):
    patient = new_patient()
    stack.send(patient, "I have chest pain and can't breathe")

    with claimed_request(stack, patient):
        flags = listed(stack, "flag=emergency")[patient]
        assert flags == ["emergency", "urgent"]
    assert conversation(stack, patient)["conversation"]["flags"] == [
        {"name": "emergency", "label": "Emergency"}]


def test_a_request_for_a_person_waits_then_staff_reply_in_the_transcript(stack):
    patient = new_patient()
    stack.send(patient, "can I talk to a person please")
    assert listed(stack, "flag=handoff_waiting")[patient] == ["handoff_waiting"]

    with claimed_request(stack, patient) as request:
        stack.staff("POST", f"/handoffs/{request['id']}/messages",
                    body={"text": "Hello, this is Jane from the clinic."})
        assert listed(stack, "")[patient] == []  # claimed: no longer waiting
        transcript = conversation(stack, patient)

    staff = [m for m in transcript["messages"] if m["sender"] == "staff"]
    # What the patient saw: the claim told them who joined, then her reply.
    assert [(m["who"], m["text"]) for m in staff] == [
        ("Clinic staff · Nurse Jane", "Nurse Jane joined the chat."),
        ("Clinic staff · Nurse Jane", "Hello, this is Jane from the clinic.")]
    assert [e["label"] for e in transcript["handoff_events"]] == [
        "Asked for staff: patient asked for a person", "Claimed by Nurse Jane"]
    assert [e["label"] for e in conversation(stack, patient)["handoff_events"]][-1] == \
        "Handed back to the assistant"
