"""A patient can never read or write another patient's conversation: not over
the chat widget's socket.io channel (a conversation is resumed only with the
session token the server issued with it, and a socket speaks only for its own
conversation), nor over REST (only the clinic's own addresses may use it).
Against the real Rasa server, action server and database."""
import http.client
import json
import uuid
from urllib.parse import urlsplit

from clinic.patient_socket import PatientSocket
from clinic.session_tokens import SessionTokens


def user_texts(stack, conversation_id):
    return [e["text"] for e in stack.stored_events(conversation_id) if e["event"] == "user"]


def test_a_token_belongs_to_one_conversation_and_one_secret():
    tokens = SessionTokens("the clinic's secret")
    mine, theirs = tokens.new_conversation(), tokens.new_conversation()

    assert tokens.resumed(mine, tokens.token(mine)) == mine
    assert tokens.resumed(theirs, tokens.token(mine)) is None
    assert tokens.resumed(mine, SessionTokens("another secret").token(mine)) is None
    for forged in ("", "0" * 64, tokens.token(mine)[:-1], "\u00e9" * 64, None, 42):
        assert tokens.resumed(mine, forged) is None
    assert tokens.resumed("patient-1", tokens.token("patient-1")) is None  # not an id we issue


def talking_patient(stack):
    """A patient with a question answered (every message of the answer), on the clinic's page."""
    patient = PatientSocket(stack.rasa_url, origin=stack.web_url)
    patient.say("does it hurt?")
    patient.next_message()
    patient.messages_for(3)
    return patient


def test_knowing_a_conversation_id_does_not_open_that_conversation(rasa_server):
    patient = talking_patient(rasa_server)
    try:
        for token in (None, "0" * 64, PatientSocket(rasa_server.rasa_url).token):
            intruder = PatientSocket(rasa_server.rasa_url, session_id=patient.session_id,
                                     token=token)
            intruder.close()

            assert intruder.session_id != patient.session_id
            assert intruder.history == []  # nothing of the patient's chat
    finally:
        patient.close()


def test_a_socket_cannot_write_into_another_conversation(rasa_server):
    patient = talking_patient(rasa_server)
    intruder = PatientSocket(rasa_server.rasa_url)
    try:
        # Rasa's own channel takes the session_id a message carries at its word.
        intruder.client.emit("user_uttered", {"message": "i want to cancel everything",
                                              "session_id": patient.session_id})
        intruder.next_message()  # answered, in the intruder's own conversation

        assert patient.messages_for(3) == []
        assert user_texts(rasa_server, patient.session_id) == ["does it hurt?"]
        assert user_texts(rasa_server, intruder.session_id) == ["i want to cancel everything"]
    finally:
        patient.close()
        intruder.close()


def test_the_patient_with_the_token_carries_on(rasa_server):
    patient = talking_patient(rasa_server)
    patient.close()

    again = PatientSocket(rasa_server.rasa_url, session_id=patient.session_id,
                          token=patient.token, origin=rasa_server.web_url)
    try:
        again.say("how long does a session take?")
        assert "15 to 30 minutes" in again.next_message()["text"]
        assert again.session_id == patient.session_id
        assert user_texts(rasa_server, patient.session_id) == [
            "does it hurt?", "how long does a session take?"]
    finally:
        again.close()


def post_rest_from(address, rasa_url, payload):
    """POST to the REST channel from another address of this machine."""
    url = urlsplit(rasa_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60,
                                            source_address=(address, 0))
    try:
        connection.request("POST", "/webhooks/rest/webhook", json.dumps(payload),
                           {"Content-Type": "application/json"})
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_rest_refuses_addresses_that_are_not_the_clinics_own(rasa_server):
    patient = f"patient-{uuid.uuid4().hex}"
    rasa_server.send(patient, "does it hurt?")

    # 127.0.0.2 is this machine too, but not in REST_TRUSTED_ADDRESSES (127.0.0.1 ::1).
    status, answer = post_rest_from("127.0.0.2", rasa_server.rasa_url,
                                    {"sender": patient, "message": "what did I ask?"})

    assert status == 403
    assert "patients chat through the website" in answer["error"]
    assert user_texts(rasa_server, patient) == ["does it hurt?"]
    status, _ = post_rest_from("127.0.0.1", rasa_server.rasa_url,
                               {"sender": patient, "message": "thanks"})
    assert status == 200
