"""Conversations with the database down, against the machine's real PostgreSQL.

The database sits behind a TCP proxy the tests cut and restore. Rasa's SQL
tracker store (inside the FailSafeTrackerStore Rasa's Agent wraps every store
in) carries on in memory and loses what it was given; ours
(clinic.tracker_store.NoFallbackSQLTrackerStore) refuses, and saves again by
itself when the database is back, with nothing acknowledged lost.
"""
import asyncio
import json
import logging
import secrets
import threading
import time
from typing import Iterator, List, Tuple

import pytest
from rasa.core.agent import Agent, load_agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import ConnectionException
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clinic.local_servers import (action_server_command, action_server_token, free_port, http,
                                  rasa_server_command, running)
from clinic.lock_store import AtomicRedisLockStore
from clinic.settings import PROJECT_ROOT
from clinic.store_outage import answering_store_outages, try_again_shortly
from clinic.tracker_store import NoFallbackSQLTrackerStore, TrackerStoreUnavailable
from tests.services import fresh_postgres_database, unavailable
from tests.tcp_proxy import CuttableProxy


@pytest.fixture
def database() -> Iterator[Tuple[str, CuttableProxy]]:
    """A fresh PostgreSQL database, and its URL through a proxy that can be cut."""
    with fresh_postgres_database() as url:
        direct = make_url(url)
        with CuttableProxy(direct.host, direct.port or 5432) as proxy:
            yield direct.set(host="127.0.0.1", port=proxy.port).render_as_string(
                hide_password=False), proxy


def as_rasas_agent_uses_it(store: TrackerStore) -> TrackerStore:
    """The store as Rasa's Agent wraps it (FailSafeTrackerStore)."""
    return Agent._create_tracker_store(store, Domain.empty())


def exchange(tracker: DialogueStateTracker, question: str, answer: str) -> None:
    tracker.update(UserUttered(question, intent={"name": "ask_procedure", "confidence": 1.0}))
    tracker.update(BotUttered(answer))
    tracker.update(ActionExecuted("action_listen"))


BOTH_EXCHANGES = [
    "What is prolotherapy?", "An injection treatment.", "Does it hurt?", "Some discomfort."]


async def ask_again(store: TrackerStore) -> None:
    """The patient's second question, read back and saved as Rasa does."""
    tracker = await store.get_or_create_tracker("patient")
    exchange(tracker, "Does it hurt?", "Some discomfort.")
    await store.save(tracker)


def stored_texts(database_url: str, sender_id: str) -> List[str]:
    """The user and bot messages of a conversation as the database holds them."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT data FROM events WHERE sender_id = :sender "
                "AND type_name IN ('user', 'bot') ORDER BY id"), {"sender": sender_id}).scalars().all()
    finally:
        engine.dispose()
    return [json.loads(row)["text"] for row in rows]


def test_rasas_sql_tracker_store_loses_messages_silently_while_the_database_is_down(database):
    url, proxy = database
    store = as_rasas_agent_uses_it(SQLTrackerStore(host=url))

    async def conversation() -> None:
        tracker = await store.get_or_create_tracker("patient")
        exchange(tracker, "What is prolotherapy?", "An injection treatment.")
        await store.save(tracker)

        proxy.cut()
        exchange(tracker, "Does it hurt?", "Some discomfort.")
        await store.save(tracker)  # no error: kept in memory instead
        assert await store.retrieve("patient") is None  # the patient starts over
        proxy.restore()

    asyncio.run(conversation())
    assert stored_texts(url, "patient") == [
        "What is prolotherapy?", "An injection treatment."]


def test_ours_refuses_while_the_database_is_down_and_saves_again_when_it_is_back(database):
    url, proxy = database
    store = as_rasas_agent_uses_it(NoFallbackSQLTrackerStore(host=url))

    async def conversation() -> None:
        tracker = await store.get_or_create_tracker("patient")
        exchange(tracker, "What is prolotherapy?", "An injection treatment.")
        await store.save(tracker)

        proxy.cut()
        with pytest.raises(TrackerStoreUnavailable, match="database is unavailable"):
            await store.get_or_create_tracker("patient")
        unsaved = tracker.copy()
        exchange(unsaved, "Does it hurt?", "Some discomfort.")
        with pytest.raises(TrackerStoreUnavailable, match="Could not save the conversation"):
            await store.save(unsaved)

        # Back without a restart: the patient asks again and it is all kept.
        proxy.restore()
        await ask_again(store)

    asyncio.run(conversation())
    assert stored_texts(url, "patient") == BOTH_EXCHANGES


def test_a_database_restart_between_two_messages_goes_unnoticed(database):
    """The pool's connections die with the database; each is checked before use."""
    url, proxy = database
    store = as_rasas_agent_uses_it(NoFallbackSQLTrackerStore(host=url))

    async def conversation() -> None:
        tracker = await store.get_or_create_tracker("patient")
        exchange(tracker, "What is prolotherapy?", "An injection treatment.")
        await store.save(tracker)
        proxy.cut()
        proxy.restore()
        await ask_again(store)

    asyncio.run(conversation())
    assert stored_texts(url, "patient") == BOTH_EXCHANGES


def test_a_patient_whose_message_cant_be_stored_is_told_to_send_it_again(database):
    """The channels' wrapper turns the refusal into an answer; once the database
    is back, the same message is answered and stored."""
    url, proxy = database
    store = as_rasas_agent_uses_it(NoFallbackSQLTrackerStore(host=url))

    async def handled_as_rasa_does(message: UserMessage) -> None:
        """Rasa's order: read the conversation, reply, save it."""
        tracker = await store.get_or_create_tracker(message.sender_id)
        exchange(tracker, message.text, "An injection treatment.")
        await message.output_channel.send_text_message(message.sender_id,
                                                       "An injection treatment.")
        await store.save(tracker)

    def send(text: str) -> List[str]:
        channel = CollectingOutputChannel()
        handle = answering_store_outages(handled_as_rasa_does)
        asyncio.run(handle(UserMessage(text, channel, "patient")))
        return [message["text"] for message in channel.messages]

    proxy.cut()
    assert send("What is prolotherapy?") == [try_again_shortly()]
    assert "send it again in a minute" in try_again_shortly()
    proxy.restore()
    assert send("What is prolotherapy?") == ["An injection treatment."]
    assert stored_texts(url, "patient") == ["What is prolotherapy?", "An injection treatment."]


def test_ours_refuses_to_start_without_its_database(database):
    url, proxy = database
    proxy.cut()
    started = time.monotonic()
    with pytest.raises(ConnectionException, match="can't be reached.*does not start") as refused:
        NoFallbackSQLTrackerStore(host=url, startup_timeout_seconds=3)
    assert time.monotonic() - started < 10
    assert "postgres@127.0.0.1" in str(refused.value)


def test_ours_waits_for_a_database_that_is_starting(database, caplog):
    url, proxy = database
    proxy.cut()
    threading.Timer(3, proxy.restore).start()
    with caplog.at_level(logging.WARNING, logger="clinic.tracker_store"):
        store = NoFallbackSQLTrackerStore(host=url, startup_timeout_seconds=30)
    assert "Waiting for the conversation database at postgresql://postgres@127.0.0.1" \
        in caplog.text

    async def save() -> None:
        tracker = await store.get_or_create_tracker("patient")
        exchange(tracker, "Hello", "Hi!")
        await store.save(tracker)

    asyncio.run(save())
    assert stored_texts(url, "patient") == ["Hello", "Hi!"]


@pytest.mark.parametrize("url", [
    "postgresql://postgres@127.0.0.1:1/clinic",  # nothing listens there
    "mysql://clinic@127.0.0.1/clinic",  # no driver installed for it
])
def test_rasa_never_swaps_our_store_for_one_in_memory(url):
    """Rasa's loader of custom stores (endpoints.yml) replaces one that fails to
    import or build by an in-memory store; ours fails loudly instead."""
    config = EndpointConfig(url=url, type="clinic.tracker_store.NoFallbackSQLTrackerStore",
                            startup_timeout_seconds=1)
    with pytest.raises(ConnectionException, match="database"):
        TrackerStore.create(config, Domain.empty())


def test_the_production_endpoints_give_rasa_our_stores(database, monkeypatch):
    """ENDPOINTS_FILE=endpoints.production.yml: Rasa's agent gets our tracker store,
    re-raising inside Rasa's fail-safe wrapper, and our lock store."""
    url, _ = database
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", action_server_token())
    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "endpoints.production.yml"))
    try:
        agent = asyncio.run(load_agent(endpoints=endpoints))
    except ConnectionException as error:  # only the lock store's Redis may be missing here
        unavailable("Redis at redis://127.0.0.1:6379/1", str(error))
    assert isinstance(agent.tracker_store._tracker_store, NoFallbackSQLTrackerStore)
    assert isinstance(agent.lock_store, AtomicRedisLockStore)

    async def save() -> None:
        tracker = await agent.tracker_store.get_or_create_tracker("patient")
        exchange(tracker, "Hello", "Hi!")
        await agent.tracker_store.save(tracker)
    asyncio.run(save())
    assert stored_texts(url, "patient") == ["Hello", "Hi!"]


def test_the_real_rasa_server_asks_patients_to_try_again_while_the_database_is_down(
        database, trained_model, tmp_path):
    """Action server and Rasa server on endpoints.production.yml (database behind the
    proxy, the machine's Redis): answers; with the database cut, "send it again"
    and the server keeps running; with it back, answers again, and every answered
    message is stored with its reply."""
    url, proxy = database
    action_port, rasa_port = free_port(), free_port()
    token = secrets.token_urlsafe(24)
    env = {"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379/1",
           "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
           "ACTION_SERVER_TOKEN": action_server_token(),
           "RASA_URL": f"http://127.0.0.1:{rasa_port}", "RASA_API_TOKEN": token,
           "RASA_CORS_ORIGINS": "http://127.0.0.1"}
    rasa = rasa_server_command(trained_model, rasa_port, "http://127.0.0.1")
    rasa[rasa.index("endpoints.yml")] = "endpoints.production.yml"
    sender = f"patient-{secrets.token_hex(8)}"

    def send(text: str) -> List[str]:
        status, replies = http("POST", f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
                               {"sender": sender, "message": text})
        assert status == 200, replies
        return [reply.get("text") for reply in replies]

    with running(action_server_command(action_port), f"http://127.0.0.1:{action_port}/health",
                 tmp_path / "action-server.log", env), \
            running(rasa, f"http://127.0.0.1:{rasa_port}/", tmp_path / "rasa.log", env):
        answer = send("What does prolotherapy treat?")
        assert answer and try_again_shortly() not in answer

        proxy.cut()
        assert send("How long does a session take?") == [try_again_shortly()]
        assert send("How long does a session take?") == [try_again_shortly()]

        proxy.restore()
        answer = send("How long does a session take?")
        assert answer and try_again_shortly() not in answer

    stored = stored_texts(url, sender)
    questions = [text for text in stored if text in (
        "What does prolotherapy treat?", "How long does a session take?")]
    assert questions == ["What does prolotherapy treat?", "How long does a session take?"]
    assert try_again_shortly() not in stored
    assert stored[-1] not in questions  # the last question's reply is stored after it
