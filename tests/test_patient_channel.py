"""The chat widget's socket.io channel (clinic/patient_channel.py): whole
messages with their source, the chat history after a reload (with the session's
token), staff messages marked, and only the clinic's own site may connect.
tests/test_patient_isolation.py checks that nobody else gets in."""
import pytest
import socketio
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from clinic.patient_channel import history, widget_message
from clinic.patient_socket import PatientSocket


def test_an_answer_keeps_its_paragraphs_buttons_and_source():
    source = ('Source: the clinic\'s Prolotherapy page, "How Long Does It Take" '
              '(version 1, reviewed 26 Nov 2026).')
    message = widget_message({
        "text": f"Each session takes 15 to 30 minutes.\n\n{source}",
        "buttons": [{"title": "Talk to staff", "payload": "/request_human"}],
        "timestamp": 1.0, "model_id": "m1", "assistant_id": "a1", "utter_action": None,
        "metadata": {"source": source, "sections": ["How Long Does It Take"]},
    })
    assert message == {
        "text": f"Each session takes 15 to 30 minutes.\n\n{source}",
        "buttons": [{"title": "Talk to staff", "payload": "/request_human"}],
        "metadata": {"source": source, "sections": ["How Long Does It Take"]},
    }


def test_history_marks_who_said_what():
    events = [
        ActionExecuted("action_listen"),
        UserUttered("does it hurt?"),
        BotUttered("Some discomfort is usual.", metadata={"metadata": {"topic": "ask_side_effects"}}),
        BotUttered("Hello, this is Jane from the clinic.",
                   metadata={"from": "clinic_staff", "staff_name": "Jane"}),
    ]
    assert [(m["sender"], m["text"]) for m in history(events)] == [
        ("patient", "does it hurt?"),
        ("assistant", "Some discomfort is usual."),
        ("staff", "Hello, this is Jane from the clinic."),
    ]
    assert history(events)[2]["metadata"]["staff_name"] == "Jane"


@pytest.fixture
def site_origin(rasa_server):
    return rasa_server.web_url  # the clinic page the widget runs on


def test_a_reload_shows_the_same_conversation(rasa_server, site_origin):
    patient = PatientSocket(rasa_server.rasa_url, origin=site_origin)
    assert patient.history == []
    patient.say("how long does a session take?")
    answer = patient.next_message()
    patient.close()

    # One message, not one per paragraph, with its source as metadata.
    assert answer["text"].endswith(answer["metadata"]["source"])
    assert "15 to 30 minutes" in answer["text"]

    reloaded = PatientSocket(rasa_server.rasa_url, session_id=patient.session_id,
                             token=patient.token, origin=site_origin)
    reloaded.close()
    assert reloaded.session_id == patient.session_id
    assert [(m["sender"], m["text"]) for m in reloaded.history] == [
        ("patient", "how long does a session take?"),
        ("assistant", answer["text"]),
    ]


def test_a_made_up_session_id_gets_a_new_empty_conversation(rasa_server):
    patient = PatientSocket(rasa_server.rasa_url, session_id="patient-1")
    patient.close()
    assert patient.session_id != "patient-1"
    assert len(patient.session_id) == 32
    assert patient.history == []


def test_pages_of_other_sites_cannot_open_the_chat(rasa_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        PatientSocket(rasa_server.rasa_url, origin="https://attacker.example")
