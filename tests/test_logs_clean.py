"""The logs of the real Rasa server, action server and web app, at their
default log levels, hold no phone number, email address or message text
(settings/logging.yml, clinic/log_privacy.py): after conversations over REST
and socket.io with a phone number, an email address and distinctive words, a
callback request, a handoff with a staff reply, a staff search, and an action
that fails on the action server (which makes Rasa log the action server's
answer, the whole conversation)."""
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from clinic.log_privacy import redact
from clinic.patient_socket import PatientSocket

PHONE = "+1 555 0177 321"
PHONE_FORMS = ("555 0177 321", "5550177321", "555-0177-321")
EMAIL = "pat.zebrafinch@example.org"
WORDS = ("marmalade", "zebrafinch", "quokka", "pelican", "gooseberry", "flamingo")


def logs(stack) -> str:
    folder = Path(stack.settings.path).parent  # the stack's servers log beside their settings
    return "\n".join(path.read_text(errors="replace") for path in sorted(folder.glob("*.log")))


def test_no_phone_number_email_or_message_text_reaches_the_logs(sqlite_stack):
    stack = sqlite_stack
    # The action server fails (its settings lack the opening hours): Rasa logs
    # the failed action with the action server's answer, and the action server its error.
    failing = uuid.uuid4().hex
    stack.send(failing, "what does prolotherapy do for a marmalade knee?")
    with stack.settings.changed(lambda settings: settings.pop("opening_hours")):
        stack.send(failing, f"I'd like to talk to a person, call me on {PHONE} or {EMAIL}")
    # A handoff, claimed and answered by staff.
    patient = uuid.uuid4().hex
    stack.send(patient, f"can I talk to a nurse about my flamingo elbow? I'm on {PHONE}")
    _, queue = stack.staff("GET", "/handoffs")
    [request] = [r for r in queue if r["conversation_id"] == patient]
    assert stack.staff("POST", f"/handoffs/{request['id']}/claim")[0] == 200
    assert stack.staff("POST", f"/handoffs/{request['id']}/messages",
                       body={"text": f"Hello, the quokka nurse here; is {PHONE} right?"})[0] == 200
    # Staff search the conversations for the phone number and a word.
    for words in (PHONE, "flamingo", EMAIL):
        assert stack.staff("GET", "/conversations?" + urllib.parse.urlencode({"q": words}))[0] \
            == 200
    assert stack.staff("GET", f"/conversations/{patient}/messages")[0] == 200
    # A callback request, outside opening hours.
    caller = uuid.uuid4().hex
    with stack.settings.clinic_closed():
        for text in ["please call me back about my pelican hip", "Ann Zebrafinch", PHONE,
                     "weekday mornings", "/affirm"]:
            stack.send(caller, text)
    _, callbacks = stack.staff("GET", "/callbacks")
    assert caller in [c["conversation_id"] for c in callbacks]
    # The chat widget's socket.io channel.
    socket = PatientSocket(stack.rasa_url)
    try:
        socket.say(f"my marmalade wrist, email {EMAIL}")
        socket.next_message()
    finally:
        socket.close()
    time.sleep(2)  # the servers' last lines

    written = logs(stack)

    # The failing action was logged, with the action server's answer redacted:
    # the path that used to leak was taken.
    assert "Encountered an exception while running action" in written
    assert "KeyError: 'opening_hours'" in written
    assert "Internal Server Error, body=[redacted]" in written
    found = [value for value in (*PHONE_FORMS, EMAIL, stack.api_token, stack.action_server_token,
                                 *WORDS)
             if value.lower() in written.lower()]
    assert found == [], "patients' data in the logs: " + ", ".join(
        line for line in written.splitlines()
        if any(value.lower() in line.lower() for value in found))[:3000]


@pytest.mark.parametrize("line, kept", [
    ("Loading model models/2026-11-26-1752-c7159636f34c4f2c.tar.gz...",
     "Loading model models/2026-11-26-1752-c7159636f34c4f2c.tar.gz..."),
    ("Rasa server is up and running on http://127.0.0.1:5005",
     "Rasa server is up and running on http://127.0.0.1:5005"),
    ('{"event": "rest.message.received.failure", "text": "my knee \\"hurts\\""}',
     '{"event": "rest.message.received.failure", "text": [redacted]}'),
    ("{'text': 'call me', 'intent': {'name': 'greet'}}",
     "{'text': [redacted], 'intent': {'name': 'greet'}}"),
    ("ClientResponseError: 500, Internal Server Error, body='b'{\"request_body\": {}}''",
     "ClientResponseError: 500, Internal Server Error, body=[redacted]"),
    ("reach me at pat@example.org or (555) 014-2233 or +44 20 7946 0958",
     "reach me at [email] or [phone] or [phone]"),
    ("Connecting to 'amqp://clinic:s3cret@rabbit:5672/' failed",
     "Connecting to 'amqp://clinic:[redacted]@rabbit:5672/' failed"),
    ("postgresql://clinic:pw@db.example.org:5432/clinic",
     "postgresql://clinic:[redacted]@db.example.org:5432/clinic"),
])
def test_what_is_redacted_and_what_is_kept(line, kept):
    assert redact(line) == kept
