"""A patient's conversation exported and deleted on request (clinic/
patient_data.py, webapp/console_patient_data.py): from the database directly
(SQLite and PostgreSQL), from the command line, from the admins' console page,
and end to end against the real Rasa server, action server and web app, where
the next message after a deletion starts a fresh conversation."""
import json
import os
import re
import subprocess
import sys
import urllib.parse
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from clinic.audit_log import AuditLog
from clinic.conversation_index import ConversationIndex
from clinic.conversation_queries import ConversationQueries
from clinic.database import Database
from clinic.local_servers import StaffBrowser, free_port, http
from clinic.patient_data import ERASED, PatientData
from clinic.settings import PROJECT_ROOT
from tests.kept_conversations import CALLBACK_CONTACT, keep_everywhere
from tests.rasa_events import RasaEvents, answer, busywork, patient, staff_message
from tests.sql_databases import database, database_url  # noqa: F401 (fixtures)
from tests.staff_console import Clock, running_console
from tests.test_patient_rest import texts

PHONE_MESSAGE = "please call me on +1 555 0142 about my sore knee"


def seed(database_url: str, database: Database, sender_id: str) -> None:
    """A conversation with a patient's message, an answer, a staff message, a
    handoff request, a callback request and an annotation."""
    at = datetime(2026, 11, 20, 14, 5, tzinfo=timezone.utc).timestamp()
    keep_everywhere(database_url, database, sender_id,
                    patient(PHONE_MESSAGE, "request_human", timestamp=at), *busywork(at + 1),
                    answer("It treats osteoarthritis.", ["Conditions It Treats"], timestamp=at + 2),
                    staff_message("Hello, this is Jane.", "Nurse Jane", timestamp=at + 60))


def rows_of(database: Database, sender_id: str) -> dict:
    tables = {"events": "sender_id", "conversation_messages": "sender_id",
              "conversation_summaries": "sender_id", "handoff_requests": "conversation_id",
              "callback_requests": "conversation_id", "annotations": "conversation_id"}
    with database.engine.connect() as connection:
        return {table: connection.scalar(text(f"SELECT count(*) FROM {table} WHERE {column} = :id"),
                                         {"id": sender_id})
                for table, column in tables.items()}


def test_the_export_holds_the_messages_with_their_times_handoffs_callbacks_and_annotations(
        database_url, database):
    seed(database_url, database, "p1")
    seed(database_url, database, "someone-else")

    exported = PatientData(database).export("p1")

    assert exported["conversation_id"] == "p1"
    assert [(m["at"], m["sender"], m["text"]) for m in exported["messages"]] == [
        ("2026-11-20T14:05:00+00:00", "patient", PHONE_MESSAGE),
        ("2026-11-20T14:05:02+00:00", "assistant", "It treats osteoarthritis."),
        ("2026-11-20T14:06:00+00:00", "staff", "Hello, this is Jane."),
    ]
    assert exported["messages"][1]["source"].startswith("Source: the clinic's Prolotherapy page")
    assert exported["messages"][2]["staff_name"] == "Nurse Jane"
    [handoff] = exported["handoff_requests"]
    assert (handoff["conversation_id"], handoff["reason"]) == ("p1", "patient asked for a person")
    [callback] = exported["callback_requests"]
    assert (callback["name"], callback["contact"], callback["best_time"]) == (
        "Pat Example", CALLBACK_CONTACT, "mornings")
    [annotation] = exported["annotations"]
    assert (annotation["text"], annotation["intent"]) == (PHONE_MESSAGE, "ask_cost")
    assert "annotated_by" not in annotation
    json.dumps(exported)  # all of it is JSON
    assert PatientData(database).export("nobody") is None


def test_deleting_removes_the_conversation_from_every_table_and_nothing_else(
        database_url, database):
    seed(database_url, database, "p1")
    seed(database_url, database, "someone-else")
    before = rows_of(database, "someone-else")

    erased = PatientData(database).erase_now("p1")

    assert erased.rows == {"events": 6, "conversation_messages": 3, "conversation_summaries": 1,
                           "handoff_requests": 1, "callback_requests": 1, "annotations": 1}
    assert rows_of(database, "p1") == {table: 0 for table in ERASED}
    assert rows_of(database, "someone-else") == before
    assert PatientData(database).export("p1") is None
    ConversationIndex(database).index_new_events()  # indexing brings nothing back
    assert rows_of(database, "p1") == {table: 0 for table in ERASED}
    assert not PatientData(database).erase_now("p1").anything


def run_command(database_url: str, *arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("RASA_API_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "clinic.patient_data", *arguments],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_command_exports_to_a_file_and_deletes_with_an_audit_entry(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'conversations.db'}"
    database = Database(database_url)
    try:
        seed(database_url, database, "p1")

        exported = run_command(database_url, "export", "p1", "--output", str(tmp_path / "p1.json"))
        assert exported.returncode == 0, exported.stderr
        saved = json.loads((tmp_path / "p1.json").read_text())
        assert saved["messages"][0]["text"] == PHONE_MESSAGE

        deleted = run_command(database_url, "delete", "p1")
        # Without RASA_API_TOKEN it can't wait for a turn in progress, and says so.
        assert deleted.returncode == 1
        assert "Deleted conversation 'p1': 6 events, 3 conversation_messages" in deleted.stdout
        assert "run the command again" in deleted.stderr
        assert rows_of(database, "p1") == {table: 0 for table in ERASED}
        [entry] = [e for e in AuditLog(database).page(1).entries
                   if e["action"] == "conversation_deleted"]
        assert (entry["target_id"], entry["username"], entry["details"]["how"]) == (
            "p1", None, "command line")
        assert CALLBACK_CONTACT not in json.dumps(entry)

        missing = run_command(database_url, "export", "p1")
        assert missing.returncode == 1
        assert "No conversation 'p1' is stored." in missing.stderr
    finally:
        database.engine.dispose()


# The admins' console page, in the test process (tests/staff_console.py).

@pytest.fixture
def console(tmp_path, monkeypatch):
    # No Rasa listens there: a deletion can't wait for a turn, and says so.
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{free_port()}")
    with running_console(tmp_path, monkeypatch, Clock()) as running:
        yield running


def admin_page(console):
    console.add("ann", "admin", "Ann Admin")
    console.log_in("ann")
    database = Database(console.database_url)
    seed(console.database_url, database, "p1")
    return database


def test_an_admin_finds_downloads_and_deletes_a_conversation(console):
    database = admin_page(console)
    try:
        found = console.client.get("/staff/patient-data", params={"conversation": "p1"})
        assert found.status_code == 200
        assert "3 messages, from 20 Nov 2026" in found.text
        assert "1 callback requests" in found.text

        download = console.client.get("/staff/patient-data/export", params={"conversation": "p1"})
        assert download.status_code == 200
        assert download.headers["content-disposition"] == \
            'attachment; filename="conversation-p1.json"'
        assert download.json()["messages"][0]["text"] == PHONE_MESSAGE

        csrf = re.search(r'name="csrf" value="([^"]+)"', found.text).group(1)
        unconfirmed = console.client.post("/staff/patient-data/delete",
                                          data={"csrf": csrf, "conversation": "p1"})
        assert unconfirmed.status_code == 400
        assert "Please tick the box to confirm the deletion; nothing was deleted." \
            in unconfirmed.text
        assert rows_of(database, "p1")["events"] == 6

        deleted = console.client.post("/staff/patient-data/delete",
                                      data={"csrf": csrf, "conversation": "p1", "confirm": "yes"})
        assert deleted.status_code == 200
        assert "The conversation &#39;p1&#39; was deleted" in deleted.text
        assert "The assistant could not be reached" in deleted.text
        assert rows_of(database, "p1") == {table: 0 for table in ERASED}

        gone = console.client.get("/staff/patient-data", params={"conversation": "p1"})
        assert gone.status_code == 404
        assert "Nothing is stored for the conversation &#39;p1&#39;." in gone.text
        actions = [(e["action"], e["username"], e["target_id"])
                   for e in AuditLog(database).page(1).entries]
        assert ("conversation_exported", "ann", "p1") in actions
        assert ("conversation_deleted", "ann", "p1") in actions
        assert CALLBACK_CONTACT not in json.dumps(AuditLog(database).page(1).entries)
    finally:
        database.engine.dispose()


@pytest.mark.parametrize("asked", ["", "   ", "x" * 256, "line\nbreak"])
def test_a_missing_or_impossible_id_gets_a_polite_answer(console, asked):
    database = admin_page(console)
    database.engine.dispose()
    csrf = console.csrf()

    answer = console.client.post("/staff/patient-data/delete",
                                 data={"csrf": csrf, "conversation": asked, "confirm": "yes"})

    assert answer.status_code == 400
    assert "Please give the conversation&#39;s id" in answer.text


def test_without_the_security_token_nothing_is_deleted(console):
    database = admin_page(console)
    try:
        answer = console.client.post("/staff/patient-data/delete",
                                     data={"csrf": "forged", "conversation": "p1",
                                           "confirm": "yes"})
        assert answer.status_code == 403
        assert rows_of(database, "p1")["events"] == 6
    finally:
        database.engine.dispose()


# End to end: the real servers (tests/conftest.py's stack, SQLite and PostgreSQL).

def admin_browser(stack) -> StaffBrowser:
    return StaffBrowser.log_in(stack, f"Dana Admin {uuid.uuid4().hex[:6]}", "admin")


def console_delete(stack, admin: StaffBrowser, conversation_id: str) -> str:
    form = urllib.parse.urlencode({"csrf": admin.csrf_token, "conversation": conversation_id,
                                   "confirm": "yes"}).encode()
    with admin.opener.open(f"{stack.web_url}/staff/patient-data/delete", form,
                           timeout=120) as response:
        assert response.status == 200
        return response.read().decode()


def console_export(stack, admin: StaffBrowser, conversation_id: str) -> dict:
    query = urllib.parse.urlencode({"conversation": conversation_id})
    with admin.opener.open(f"{stack.web_url}/staff/patient-data/export?{query}",
                           timeout=60) as response:
        return json.load(response)


def test_a_deleted_conversation_is_gone_and_the_next_message_starts_afresh(stack):
    conversation = uuid.uuid4().hex  # as the widget's session ids are
    with stack.settings.clinic_closed():  # a callback request
        for text in ["I'd like to talk to a person", "Ann Smith", "+1 555 0100 123",
                     "weekday mornings", "/affirm"]:
            stack.send(conversation, text)
    # In opening hours: a handoff, claimed, and a staff reply; the chat stays paused.
    assert "will join this chat" in texts(stack.send(conversation, "can I talk to a nurse"))
    _, queue = stack.staff("GET", "/handoffs")
    [request] = [r for r in queue if r["conversation_id"] == conversation]
    stack.staff("POST", f"/handoffs/{request['id']}/claim")
    assert stack.staff("POST", f"/handoffs/{request['id']}/messages",
                       body={"text": "Hello, this is Jane from the clinic."})[0] == 200
    admin = admin_browser(stack)

    exported = console_export(stack, admin, conversation)
    written = [m["text"] for m in exported["messages"]]
    assert "I'd like to talk to a person" in written and "can I talk to a nurse" in written
    assert "Hello, this is Jane from the clinic." in written
    assert [c["contact"] for c in exported["callback_requests"]] == ["+15550100123"]
    assert "claimed" in [h["status"] for h in exported["handoff_requests"]]

    page = console_delete(stack, admin, conversation)

    assert "was deleted" in page and "could not be reached" not in page
    assert stack.stored_events(conversation) == []
    _, queue = stack.staff("GET", "/handoffs")
    assert conversation not in [r["conversation_id"] for r in queue]
    _, callbacks = stack.staff("GET", "/callbacks")
    assert conversation not in [c["conversation_id"] for c in callbacks]
    assert stack.staff("GET", f"/conversations/{conversation}/messages")[0] == 404
    # Rasa kept nothing of it: the paused conversation is a new one that answers.
    assert "15 to 30 minutes" in texts(stack.send(conversation, "how long does a session take?"))
    stored = [e.get("text") for e in stack.stored_events(conversation) if e["event"] == "user"]
    assert stored == ["how long does a session take?"]
    status, tracker = http("GET", f"{stack.rasa_url}/conversations/{conversation}/tracker"
                                  f"?token={stack.api_token}")
    assert status == 200 and tracker["paused"] is False
    assert "Ann Smith" not in json.dumps(tracker)


def test_after_deleting_the_newest_conversation_new_ones_are_still_indexed(
        database_url, database):
    seed(database_url, database, "older")
    seed(database_url, database, "newest")
    PatientData(database).erase_now("newest")

    rasa = RasaEvents(database_url)  # a new conversation, after the deletion
    rasa.save("next", patient("what does it treat?", "ask_conditions"))
    rasa.close()
    ConversationIndex(database).index_new_events()

    next_one = ConversationQueries(database).transcript("next", 0.6)
    assert [m["text"] for m in next_one.messages] == ["what does it treat?"]
    assert PatientData(database).export("newest") is None
    assert rows_of(database, "newest") == {table: 0 for table in ERASED}
