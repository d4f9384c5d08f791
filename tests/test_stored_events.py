"""Every event of a conversation is stored once, on the embedded SQLite default
(endpoints.yml) as on PostgreSQL: our tracker store (clinic/tracker_store.py)
finds the events to save from the count it noted when it read or last saved
the tracker, where Rasa's counts the stored rows of the latest session again."""
import asyncio
import json
import sqlite3
from pathlib import Path
from typing import List

import pytest
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.tracker_store import NoFallbackSQLTrackerStore


def ask(tracker: DialogueStateTracker, question: str, answer: str) -> None:
    tracker.update(UserUttered(question, intent={"name": "ask_procedure", "confidence": 1.0}))
    tracker.update(BotUttered(answer))
    tracker.update(ActionExecuted("action_listen"))


def stored_texts(database: Path) -> List[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT data FROM events WHERE type_name IN ('user', 'bot') "
                                  "ORDER BY id").fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


async def a_conversation_over_two_sessions(store: TrackerStore) -> None:
    """A question per message, a tracker saved twice, a new session, and an
    event added to the whole history (all sessions)."""
    tracker = await store.get_or_create_tracker("patient")
    ask(tracker, "What is prolotherapy?", "An injection treatment.")
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing stored

    tracker = await store.get_or_create_tracker("patient")
    ask(tracker, "Does it hurt?", "Some discomfort.")
    await store.save(tracker)

    tracker = await store.get_or_create_tracker("patient")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    ask(tracker, "How long does it take?", "About 30 minutes.")
    await store.save(tracker)

    whole_history = await store.retrieve_full_tracker("patient")
    whole_history.update(BotUttered("A nurse will call you today."))
    await store.save(whole_history)


CONVERSATION = ["What is prolotherapy?", "An injection treatment.", "Does it hurt?",
                "Some discomfort.", "How long does it take?", "About 30 minutes.",
                "A nurse will call you today."]


def test_each_message_is_stored_once(tmp_path: Path) -> None:
    database = tmp_path / "conversations.db"
    store = NoFallbackSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{database}")
    asyncio.run(a_conversation_over_two_sessions(store))
    assert stored_texts(database) == CONVERSATION

    async def read_back() -> DialogueStateTracker:
        return await store.retrieve_full_tracker("patient")

    events = asyncio.run(read_back()).events
    assert [e.text for e in events if isinstance(e, (UserUttered, BotUttered))] == CONVERSATION


def test_rasas_store_stores_part_of_the_earlier_session_again(tmp_path: Path) -> None:
    """Why ours doesn't count the latest session's rows: for an event added to
    the whole history, Rasa's store takes part of the earlier session as new."""
    database = tmp_path / "conversations.db"
    store = SQLTrackerStore(Domain.empty(), host=f"sqlite:///{database}")
    asyncio.run(a_conversation_over_two_sessions(store))
    assert stored_texts(database) == [*CONVERSATION[:6], "Some discomfort.",
                                      "How long does it take?", "About 30 minutes.",
                                      "A nurse will call you today."]


@pytest.mark.parametrize("setting, value", [("journal_mode", "wal"), ("synchronous", 2)])
def test_sqlite_commits_are_synced_to_disk(tmp_path: Path, setting: str, value) -> None:
    """Write-ahead log with full sync: a saved message survives a power cut."""
    store = NoFallbackSQLTrackerStore(domain=Domain.empty(),
                                      host=f"sqlite:///{tmp_path / 'conversations.db'}")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql(f"PRAGMA {setting}").scalar() == value
