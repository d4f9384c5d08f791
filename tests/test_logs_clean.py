"""The logs of the real Rasa server, action server and web app, at their
default log levels, hold no phone number, email address or message text
(settings/logging.yml, clinic/log_privacy.py): after conversations over REST
and socket.io with a phone number, an email address and distinctive words, a
callback request, a handoff with a staff reply, a staff search, and an action
that fails on the action server (which makes Rasa log the action server's
answer, the whole conversation)."""
import io
import json
import logging
import sys
import time
import traceback
import urllib.parse
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Tuple

import pytest
import requests

from clinic.log_privacy import install, redact
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
    ("rasa/shared/utils/io.py:99: UserWarning: Failed to parse arguments in line '/x my\n"
     "knee'. Expected the intent to be one of [greet] but found x my\nknee.\n  More info",
     "rasa/shared/utils/io.py:99: UserWarning: Failed to parse arguments in line [redacted]"),
    ("Exception occurred while handling uri: 'http://127.0.0.1:5005/webhooks/model_loader/"
     "load?token=s3cret&x=1'",
     "Exception occurred while handling uri: 'http://127.0.0.1:5005/webhooks/model_loader/"
     "load?token=[redacted]&x=1'"),
])
def test_what_is_redacted_and_what_is_kept(line, kept):
    assert redact(line) == kept


FORGED = "2026-12-07 09:00:00,000 INFO webapp.staff: Staff login succeeded for admin"


@contextmanager
def logged_with_privacy(monkeypatch) -> Iterator[Tuple[logging.Logger, io.StringIO]]:
    """A logger whose records are made as the servers make theirs (install()),
    written to the string it yields with it."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("tests.log_privacy")
    monkeypatch.setattr(logger, "handlers", [handler])
    monkeypatch.setattr(logger, "propagate", False)
    factory = logging.getLogRecordFactory()
    try:
        install()
        yield logger, output
    finally:
        logging.setLogRecordFactory(factory)
        logging.captureWarnings(False)


def test_a_line_break_in_logged_text_cannot_forge_a_line(monkeypatch):
    """Text from outside with line breaks, in a message's arguments and in a chain of
    exceptions, stays on its record's lines; the traceback keeps its own lines."""
    with logged_with_privacy(monkeypatch) as (logger, output):
        logger.warning("Refused login for %s", f"jane\r\n{FORGED}\u2028{FORGED}\x85{FORGED}")
        try:
            try:
                raise KeyError(f"x\n{FORGED}")
            except KeyError as error:
                raise ValueError(f"bad\r\n{FORGED}") from error
        except ValueError:
            logger.exception("Could not handle %s", "the request")

    lines = output.getvalue().splitlines()  # Python's line breaks: \u2028 and \x85 too
    assert [line for line in lines if line.startswith(FORGED)] == []
    assert f"jane\\r\\n{FORGED}\\u2028{FORGED}\\x85{FORGED}" in lines[0]
    assert lines.count("Traceback (most recent call last):") == 2
    assert f"ValueError: bad\\r\\n{FORGED}" in lines


@pytest.mark.parametrize("logged", [
    str({"text": "my gooseberry knee hurts. " * 100}),  # a message text longer than the cut
    "x" * 1990 + " jane.gooseberry@example.org",  # an address across the cut
    "x" * 1990 + " +1 555 014 2233 gooseberry",  # a phone number across the cut
], ids=["message text", "email address", "phone number"])
def test_a_record_longer_than_the_cut_is_redacted_before_it_is_cut(monkeypatch, logged):
    """Cut first, a message text lost its closing quote and an address its end,
    and the patterns no longer found them."""
    with logged_with_privacy(monkeypatch) as (logger, output):
        logger.warning("Logged: %s", logged)
        try:
            raise ValueError(logged)
        except ValueError:
            logger.exception("Could not handle the message")

    written = output.getvalue()
    assert "gooseberry" not in written and "555 014" not in written
    assert "characters cut]" in written


def test_the_exception_texts_escaped_are_where_python_keeps_them():
    """clinic/log_privacy.py escapes TracebackException's own attributes (Python 3.10)."""
    try:
        raise ValueError("text")
    except ValueError:
        formatted = traceback.TracebackException(*sys.exc_info())
    assert formatted._str == "text"
    assert traceback.TracebackException(SyntaxError, SyntaxError("m"), None).msg == "m"


def test_a_patient_s_message_cannot_forge_a_line_in_the_server_s_log(sqlite_stack):
    """A message starting with "/" that names no intent: Rasa warns, quoting it.
    Written to standard error (and, for a message it can't parse, by structlog
    to standard output) from the NLU worker process, that warning put the
    patient's words in the log and, with a line break, a line of the attacker's
    making."""
    stack = sqlite_stack
    patient = uuid.uuid4().hex
    stack.send(patient, f"/no_such_intent my gooseberry knee\r\n{FORGED}\n{FORGED}")
    stack.send(f"{patient}\r\n{FORGED}", f"hello\n{FORGED}")
    stack.send(patient, f"/@my flamingo knee\r\n{FORGED}")  # Rasa's structlog warns
    time.sleep(2)  # the servers' last lines

    written = logs(stack)

    assert "Failed to parse arguments in line [redacted]" in written  # the warning's path
    assert [line for line in written.splitlines() if line.startswith(FORGED)] == []
    assert "message.parsing.failed" in written
    assert "gooseberry" not in written and "flamingo" not in written


def test_a_long_origin_is_logged_cut_and_the_server_keeps_answering(sqlite_stack):
    """The e-mail pattern was quadratic on a long run of letters: one 7 kB Origin,
    logged as refused, held the Rasa server's event loop for seconds."""
    origin = "http://" + "a" * 7000
    url = f"{sqlite_stack.rasa_url}/socket.io/"
    with requests.Session() as http:
        http.headers["Origin"] = origin
        opened = http.get(url, params={"EIO": "4", "transport": "polling"}, timeout=60)
        sid = json.loads(opened.text[1:])["sid"]
        http.post(url, params={"EIO": "4", "transport": "polling", "sid": sid},
                  data="\x1e".join(["40"] * 16).encode(), timeout=60)
    patient = PatientSocket(sqlite_stack.rasa_url)
    try:
        patient.say("What is prolotherapy?")
        assert patient.next_message(timeout=120)["text"]
    finally:
        patient.close()
    refused = [line for line in logs(sqlite_stack).splitlines()
               if "Refused a chat connection from origin http://aaaa" in line]
    assert refused and all("characters cut]" in line and len(line) < 2200 for line in refused)
