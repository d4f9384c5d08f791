"""Retention (clinic/retention.py), on SQLite and on PostgreSQL: conversations
saved by Rasa's own SQL tracker store, indexed, handed to staff, with callbacks
and annotations; what is older than the retention period goes from all of
them, the rest stays, and the command says what it would do and did."""
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from clinic.annotations import Annotation
from clinic.audit_log import AuditEntry, AuditLog
from clinic.conversation_index import RASA_EVENTS, ConversationIndex, ConversationSummary
from clinic.conversation_queries import ConversationFilters, ConversationQueries
from clinic.database import Database
from clinic.handoff_store import CallbackRequest, HandoffRequest
from clinic.retention import Retention
from clinic.settings import PROJECT_ROOT
from tests.kept_conversations import keep_everywhere
from tests.rasa_events import RasaEvents, answer, busywork, patient
from tests.sql_databases import database, database_url  # noqa: F401 (fixtures)

NOW = datetime.now(timezone.utc)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def seed_conversation(database_url: str, database: Database, sender_id: str, age_days: float,
                      text: str) -> None:
    """A conversation last active `age_days` ago, kept everywhere, all dated then."""
    at = days_ago(age_days).timestamp()
    keep_everywhere(database_url, database, sender_id,
                    patient(text, "request_human", timestamp=at), *busywork(at),
                    answer("It treats osteoarthritis.", ["Conditions It Treats"], timestamp=at),
                    annotated=lambda: days_ago(age_days))
    backdate(database, sender_id, days_ago(age_days))


def backdate(database: Database, sender_id: str, moment: datetime) -> None:
    """The handoff and callback requests of the conversation made at `moment`."""
    with database.session() as session:
        for model in (HandoffRequest, CallbackRequest):
            session.execute(update(model).where(model.conversation_id == sender_id)
                            .values(created_at=moment))


def stored(database: Database, sender_id: str) -> dict:
    """How many rows of each kind the database holds for the conversation."""
    counts = {}
    with database.session() as session:
        for name, column in [("events", RASA_EVENTS.c.sender_id),
                             ("summaries", ConversationSummary.sender_id),
                             ("handoffs", HandoffRequest.conversation_id),
                             ("callbacks", CallbackRequest.conversation_id),
                             ("annotations", Annotation.conversation_id)]:
            counts[name] = session.scalar(select(func.count()).select_from(column.table)
                                          .where(column == sender_id))
    return counts


def test_what_is_older_than_the_period_is_deleted_everywhere_and_the_rest_stays(
        database_url, database):
    seed_conversation(database_url, database, "old", 120, "call me on 555 0199 about my knee")
    seed_conversation(database_url, database, "recent", 2, "how long does it take")
    # A conversation still going on, whose callback request is old.
    seed_conversation(database_url, database, "ongoing", 1, "does it hurt")
    backdate(database, "ongoing", days_ago(100))

    erased = Retention(database, days=90).run()

    assert stored(database, "old") == {"events": 0, "summaries": 0, "handoffs": 0,
                                       "callbacks": 0, "annotations": 0}
    assert stored(database, "recent") == {"events": 5, "summaries": 1, "handoffs": 1,
                                          "callbacks": 1, "annotations": 1}
    assert stored(database, "ongoing") == {"events": 5, "summaries": 1, "handoffs": 0,
                                           "callbacks": 0, "annotations": 1}
    assert erased.rows == {"events": 5, "conversation_messages": 2, "conversation_summaries": 1,
                           "handoff_requests": 2, "callback_requests": 2, "annotations": 1}
    # The console no longer lists or shows it; Rasa starts anew for its id.
    listed = ConversationQueries(database).page(ConversationFilters(), 1, 0.6).conversations
    assert {c["sender_id"] for c in listed} == {"recent", "ongoing"}
    assert ConversationQueries(database).transcript("old", 0.6) is None
    rasa = RasaEvents(database_url)
    try:
        assert asyncio.run(rasa.store.retrieve("old")) is None
    finally:
        rasa.close()
    # Indexing again brings nothing back.
    ConversationIndex(database).index_new_events()
    assert stored(database, "old")["summaries"] == 0


def test_a_run_with_nothing_old_deletes_nothing(database_url, database):
    seed_conversation(database_url, database, "recent", 2, "what does it treat")

    erased = Retention(database, days=90).run()

    assert not erased.anything
    assert stored(database, "recent")["events"] == 5


def test_a_database_rasa_never_used_is_fine(database):
    assert not Retention(database, days=1).run().anything


def run_command(database_url: str, *arguments: str, days: str = "90"):
    return subprocess.run(
        [sys.executable, "-m", "clinic.retention", *arguments], cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "RETENTION_DAYS": days},
        capture_output=True, text=True, timeout=120)


def test_the_command_counts_in_a_dry_run_then_deletes_and_is_audited(database_url, database):
    seed_conversation(database_url, database, "old", 120, "email me at pat@example.org")
    seed_conversation(database_url, database, "recent", 2, "what does it treat")
    with database.session() as session:
        audit_entries = session.scalar(select(func.count()).select_from(AuditEntry))

    dry = run_command(database_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would be deleted: 1 conversations, and by their own date 1 handoff requests, " \
           "1 callback requests, 1 annotations. Nothing was deleted." in dry.stdout
    assert stored(database, "old")["events"] == 5

    done = run_command(database_url)
    assert done.returncode == 0, done.stderr
    assert ("Retention (90 days): deleted 5 events, 2 conversation_messages, "
            "1 conversation_summaries, 1 handoff_requests, 1 callback_requests, "
            "1 annotations") in done.stdout
    assert stored(database, "old")["events"] == 0
    assert stored(database, "recent")["events"] == 5
    # The run is recorded in the audit log, which itself keeps every entry.
    entries = AuditLog(database).page(1).entries
    assert entries[0]["action"] == "retention_run"
    assert entries[0]["details"] == {"days": 90, "rows": {
        "events": 5, "conversation_messages": 2, "conversation_summaries": 1,
        "handoff_requests": 1, "callback_requests": 1, "annotations": 1}}
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_entries + 1
    # Nothing of the patients' in what it printed (it goes to the job's log).
    assert "pat@example.org" not in done.stdout + done.stderr + json.dumps(entries)
    assert "old" not in done.stdout


@pytest.mark.parametrize("days", ["0", "-3", "ninety", "1.5"])
def test_a_wrong_retention_period_is_refused_clearly(tmp_path, days):
    refused = run_command(f"sqlite:///{tmp_path / 'conversations.db'}", days=days)
    assert refused.returncode == 2
    assert "RETENTION_DAYS must be a whole number of days, 1 or more" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_scheduled_job_runs_now_and_then_again_after_its_interval(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'conversations.db'}"
    output = tmp_path / "retention.log"
    with output.open("w") as log:
        job = subprocess.Popen(  # every 1.8 seconds, as the Procfile's every 24 hours
            [sys.executable, "-m", "clinic.retention", "--every-hours", "0.0005"],
            cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": database_url,
                                   "RETENTION_DAYS": "90"}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while output.read_text().count("Retention (90 days): deleted") < 2:
            assert job.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.2)
    finally:
        job.terminate()
        job.wait(timeout=20)
    database = Database(database_url)
    try:
        runs = [e for e in AuditLog(database).page(1).entries if e["action"] == "retention_run"]
        assert len(runs) >= 2
    finally:
        database.engine.dispose()
