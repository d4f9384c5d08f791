"""Limits on what patients (and anyone else) can send: message length, messages
per minute per conversation and per IP address (a polite answer, not a crash),
and the size of requests to the Rasa server, its socket.io channel and the web
app. Against a real Rasa server started with small limits (tests/limited_server.py),
the stack's action server, database and web app."""
import time
import uuid

import pytest
import requests

from clinic.local_servers import http
from clinic.patient_limits import TOO_FAST, UNREADABLE, too_long
from clinic.patient_socket import PatientSocket
from clinic.rate_limits import RateLimit
from tests.limited_server import (ADDRESS_HEADER, MAX_CHARS, MAX_REQUEST_BYTES, PER_ADDRESS,
                                  PER_CONVERSATION, SOCKET_MAX_BYTES)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_rate_limit_counts_each_key_in_a_sliding_window():
    clock = Clock()
    limit = RateLimit(2, 60, clock)

    assert [limit.allow("a"), limit.allow("a"), limit.allow("a"), limit.allow("b")] == [
        True, True, False, True]
    clock.now += 30
    assert limit.allow("a") is False  # both of a's events are still in the window
    clock.now += 30.5
    assert limit.allow("a") is True


def user_texts(stack, conversation_id, expected_count=0, timeout=120):
    """The patient's messages stored, once there are `expected_count` of them
    (the assistant answers one after another)."""
    deadline = time.monotonic() + timeout
    while True:
        texts = [e["text"] for e in stack.stored_events(conversation_id) if e["event"] == "user"]
        if len(texts) >= expected_count or time.monotonic() > deadline:
            return texts
        time.sleep(0.5)


def patient_at(url, address):
    """A patient whose browser is at `address`, as the clinic's proxy reports it."""
    return PatientSocket(url, headers={ADDRESS_HEADER: address})


def new_address():
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def test_a_message_too_long_or_unreadable_gets_a_polite_answer_and_is_not_passed_on(
        limited_rasa_server, rasa_server):
    patient = patient_at(limited_rasa_server, new_address())
    try:
        patient.say("my knee hurts " * 30)  # 420 characters

        assert patient.next_message()["text"] == too_long(MAX_CHARS)
        for unreadable in ({"text": "not a text"}, "lone \ud800 surrogate", "nul \x00"):
            patient.say(unreadable)
            assert patient.next_message()["text"] == UNREADABLE
    finally:
        patient.close()
    assert rasa_server.stored_events(patient.session_id) == []


def test_a_conversation_sending_too_fast_is_asked_to_wait(limited_rasa_server, rasa_server):
    patient = patient_at(limited_rasa_server, new_address())
    try:
        for number in range(PER_CONVERSATION + 1):
            patient.say(f"hello {number}")

        refusal = patient.wait_for("faster than I can answer")
    finally:
        patient.close()
    assert refusal["text"] == TOO_FAST
    assert "call your local emergency number" in refusal["text"]
    assert user_texts(rasa_server, patient.session_id, PER_CONVERSATION) == [
        f"hello {number}" for number in range(PER_CONVERSATION)]


def test_one_address_sending_too_fast_is_asked_to_wait_and_others_are_not(
        limited_rasa_server, rasa_server):
    address = new_address()
    # Conversations of their own, from one address, each within its own limit.
    patients = [patient_at(limited_rasa_server, address) for _ in range(PER_ADDRESS)]
    elsewhere = patient_at(limited_rasa_server, new_address())
    try:
        for patient in patients:
            patient.say("hello")
            patient.next_message()
        patients[0].say("thanks")
        assert patients[0].wait_for("faster than I can answer")["text"] == TOO_FAST

        elsewhere.say("hello")
        assert elsewhere.next_message()["text"] != TOO_FAST
    finally:
        for patient in patients + [elsewhere]:
            patient.close()
    assert user_texts(rasa_server, patients[0].session_id) == ["hello"]


def test_rest_has_the_length_limit_too(limited_rasa_server, rasa_server):
    sender = f"patient-{uuid.uuid4().hex}"
    status, answer = http("POST", f"{limited_rasa_server}/webhooks/rest/webhook",
                          {"sender": sender, "message": "x" * (MAX_CHARS + 1)})

    assert status == 200
    assert answer == [{"recipient_id": sender, "text": too_long(MAX_CHARS)}]
    assert rasa_server.stored_events(sender) == []


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/conversations/x/messages"])
def test_the_rasa_server_refuses_a_request_too_large(limited_rasa_server, path):
    answer = requests.post(f"{limited_rasa_server}{path}", data=b"{" * (MAX_REQUEST_BYTES + 1),
                           headers={"Content-Type": "application/json"}, timeout=60)

    assert answer.status_code == 413
    assert requests.get(f"{limited_rasa_server}/", timeout=60).status_code == 200


def test_the_socket_refuses_a_packet_too_large(limited_rasa_server, rasa_server):
    patient = patient_at(limited_rasa_server, new_address())
    too_large = f'42["user_uttered",{{"message":"{"x" * SOCKET_MAX_BYTES}"}}]'
    try:
        answer = requests.post(f"{limited_rasa_server}/socket.io/",
                               params={"EIO": "4", "transport": "polling",
                                       "sid": patient.client.eio.sid},
                               data=too_large.encode(), timeout=120)
    finally:
        patient.close()

    assert answer.status_code == 400
    assert rasa_server.stored_events(patient.session_id) == []


def test_the_web_app_refuses_a_request_too_large(rasa_server):
    body = b"x" * 1_000_001  # WEB_MAX_REQUEST_BYTES' default
    for headers in ({}, {"Transfer-Encoding": "chunked"}):
        data = iter([body[:500_000], body[500_000:]]) if headers else body
        answer = requests.post(f"{rasa_server.web_url}/staff/login", data=data,
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        **headers}, timeout=60)

        assert answer.status_code == 413
        assert answer.headers["X-Frame-Options"] == "DENY"
