"""Emergencies never wait behind other patients' messages (clinic/nlu_process.py,
clinic/patient_limits.py): against the real Rasa server, action server and
database. Each test's patients connect from loopback addresses of their own
(127.0.0.x), so that the per-address limits are theirs alone."""
import json
from concurrent.futures import ThreadPoolExecutor
from typing import List

from clinic import settings
from clinic.patient_limits import PLEASE_WAIT, TOO_FAST
from clinic.patient_socket import PatientSocket
from tests.heavy_messages import EMERGENCY, GUIDANCE, heavy_message
from tests.limited_server import ADDRESS_HEADER, PER_CONVERSATION
from tests.test_limits import user_texts

HEAVY_SENDERS = 30


def connected(url: str, count: int, address: str):
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: PatientSocket(url, from_address=address), range(count)))


def test_an_emergency_is_answered_before_other_patients_heavy_messages(rasa_server):
    heavy = connected(rasa_server.rasa_url, HEAVY_SENDERS, "127.0.0.3")
    patient = PatientSocket(rasa_server.rasa_url, from_address="127.0.0.2")
    try:
        for number, sender in enumerate(heavy):
            sender.say(heavy_message(number))
        patient.say(EMERGENCY)

        guidance = patient.wait_for(GUIDANCE, timeout=300)
        answers = [sender.next_message(timeout=300) for sender in heavy]
    finally:
        for socket in heavy + [patient]:
            socket.close()

    answered = [(sender, answer) for sender, answer in zip(heavy, answers)
                if answer["text"] != PLEASE_WAIT]
    assert answered, "no heavy message was passed on"
    assert len(answered) <= settings.patient_messages_in_flight_per_ip()
    assert guidance["received_at"] < max(answer["received_at"] for _, answer in answered)
    # A heavy message is answered, and stored whole.
    sender, answer = answered[0]
    assert answer["text"] not in (PLEASE_WAIT, TOO_FAST)
    assert user_texts(rasa_server, sender.session_id, 1) == [heavy_message(heavy.index(sender))]


def test_a_long_message_is_understood_from_its_beginning(rasa_server):
    patient = PatientSocket(rasa_server.rasa_url, from_address="127.0.0.5")
    try:
        patient.say("how long does a session take? " + heavy_message(0, 1900))
        answer = patient.next_message(timeout=120)
    finally:
        patient.close()
    assert "15 to 30 minutes" in answer["text"]


def say_at_once(patient: PatientSocket, texts: List[str]) -> None:
    """The messages in one engine.io request: they reach the server together, so
    none is answered before the last one arrives."""
    packets = ["42" + json.dumps(["user_uttered", {"message": text}]) for text in texts]
    answer = patient.client.eio.http.post(
        f"{patient.client.connection_url}/socket.io/",
        params={"EIO": "4", "transport": "polling", "sid": patient.client.eio.sid},
        data="\x1e".join(packets).encode(), timeout=120)
    assert answer.status_code == 200, answer.text


def test_an_address_with_many_messages_waiting_is_asked_to_wait_but_not_in_an_emergency(
        rasa_server):
    in_flight = settings.patient_messages_in_flight_per_ip()
    waiting = [heavy_message(number, 500) for number in range(in_flight)]
    patient = PatientSocket(rasa_server.rasa_url, from_address="127.0.0.4")
    try:
        # One conversation's messages are answered one after another: they wait.
        say_at_once(patient, waiting + ["how much does it cost?", EMERGENCY])

        refusal = patient.wait_for("Please wait for my answer", timeout=300)
        guidance = patient.wait_for(GUIDANCE, timeout=300)
    finally:
        patient.close()
    assert refusal["text"] == PLEASE_WAIT
    assert "call your local emergency number" in refusal["text"]
    assert guidance["text"].startswith(GUIDANCE)
    assert user_texts(rasa_server, patient.session_id, in_flight + 1) == waiting + [EMERGENCY]


def test_an_emergency_over_the_rate_limit_gets_the_emergency_guidance(limited_rasa_server):
    patient = PatientSocket(limited_rasa_server, headers={ADDRESS_HEADER: "10.251.0.1"})
    try:
        for number in range(PER_CONVERSATION):
            patient.say(f"hello {number}")
        patient.say(EMERGENCY)

        answer = patient.wait_for(GUIDANCE, timeout=300)
    finally:
        patient.close()
    assert TOO_FAST not in answer["text"]


def test_an_emergency_does_not_wait_for_the_patient_s_own_earlier_messages(rasa_server):
    """Rasa answers one conversation's messages in turn, and those wait for the NLU
    like everyone's: the guidance comes first all the same."""
    patient = PatientSocket(rasa_server.rasa_url, from_address="127.0.0.6")
    try:
        say_at_once(patient, [heavy_message(number, 500) for number in range(3)] + [EMERGENCY])

        first = patient.next_message(timeout=300)
        answers = [patient.next_message(timeout=300) for _ in range(3)]
    finally:
        patient.close()
    assert first["text"].startswith(GUIDANCE)
    assert all(answer["text"] for answer in answers)  # the earlier messages still answered
