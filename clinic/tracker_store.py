"""Rasa's SQL tracker store without its silent fallback to memory.

Rasa's own SQLTrackerStore, wrapped by Rasa's Agent in a FailSafeTrackerStore,
loses conversations when the database is down: a failed save goes to an
in-memory store nobody reads back, and a failed read starts the patient over
with an empty conversation, both with only a log line. A custom tracker class
whose import or constructor fails is replaced by an in-memory store too.

NoFallbackSQLTrackerStore (both endpoints files: SQLite, PostgreSQL) instead:
- at start, waits for the database up to `startup_timeout_seconds`, saying so
  in the log, then refuses to start (ConnectionException);
- at run time, raises TrackerStoreUnavailable when a read or save fails, so the
  message is not acknowledged (the channels answer "try again shortly",
  clinic/store_outage.py); a save is one transaction, stored whole or not at all;
- keeps a pool of connections checked before use (pre-ping), so service
  resumes by itself, without a restart, when the database is back.

It also saves two costs of Rasa's store on every message (docs/deployment.md, "Where the
time goes"). Before each save Rasa counts the conversation's stored events to
find the new ones, which it knew when it read the conversation: ours notes the
count on the tracker when it reads or saves it. On SQLite, connections stay
open (SQLAlchemy 1.4 opens and closes one for every read and save), with the
database in write-ahead-log mode, where a commit syncs the log alone rather
than the journal and the database, as durably (synchronous=FULL).
"""
import itertools
import logging
import time
from contextlib import contextmanager
from typing import Any, Dict, Iterable, Iterator, Optional, Text

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import (FailSafeTrackerStore, SQLTrackerStore, TrackerStore,
                                     create_engine_kwargs, is_postgresql_url)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import ConnectionException

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 30.0
STARTUP_RETRY_SECONDS = 2.0
# How long opening one connection may take before it counts as a failure.
CONNECT_TIMEOUT_SECONDS = 5
# How many of a tracker's events the database holds, noted on the tracker
# object when the store reads or saves it.
STORED_EVENTS_ATTRIBUTE = "_clinic_stored_events"


class TrackerStoreUnavailable(ConnectionException):
    """The conversation database could not be read or written: nothing was stored."""


class NoFallbackSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that refuses to work without its database, and recovers."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        dialect: Text = "sqlite",
        port: Optional[int] = None,
        db: Text = "rasa.db",
        username: Optional[Text] = None,
        password: Optional[Text] = None,
        query: Optional[Dict] = None,
        startup_timeout_seconds: float = STARTUP_TIMEOUT_SECONDS,
        **kwargs: Any,
    ) -> None:
        # Rasa replaces a custom store whose constructor raises ImportError or
        # AttributeError (e.g. a missing database driver) by an in-memory one.
        try:
            url = self.get_db_url(dialect, host, port, db, username, password, None, query)
            self.engine = create_engine(url)
        except (ImportError, AttributeError) as error:
            raise ConnectionException(
                f"The conversation database can't be used ({error!r}).") from error
        self._create_tables(float(startup_timeout_seconds))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        TrackerStore.__init__(self, domain, event_broker, **kwargs)

    def _create_tables(self, timeout: float) -> None:
        where = self.engine.url.render_as_string(hide_password=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.Base.metadata.create_all(self.engine)
                return
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError,
                    sqlalchemy.exc.ProgrammingError) as error:
                # IntegrityError/ProgrammingError: another instance starting at
                # the same time created the tables first; the next try sees them.
                reason = str(error.orig or error).strip().splitlines()[0]
                if time.monotonic() + STARTUP_RETRY_SECONDS > deadline:
                    raise ConnectionException(
                        f"The conversation database at {where} can't be reached ({reason}); "
                        f"Rasa does not start without it (waited {timeout:.0f} s).") from error
                logger.warning("Waiting for the conversation database at %s (%s); "
                               "trying again in %.0f s.", where, reason, STARTUP_RETRY_SECONDS)
                time.sleep(STARTUP_RETRY_SECONDS)

    @contextmanager
    def _database(self, doing: Text) -> Iterator[None]:
        try:
            yield
        except (sqlalchemy.exc.SQLAlchemyError, OSError) as error:
            logger.error("Could not %s: the conversation database failed (%s).",
                         doing, type(error).__name__)
            raise TrackerStoreUnavailable(
                f"Could not {doing}: the conversation database is unavailable.") from error

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self._database("save the conversation"):
            await super().save(tracker)
        setattr(tracker, STORED_EVENTS_ATTRIBUTE, len(tracker.events))

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        with self._database("read the conversation"):
            return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        with self._database("read the conversation"):
            return await super().retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[Text]:
        with self._database("list the conversations"):
            return await super().keys()

    async def _retrieve(self, sender_id: Text,
                        fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        if tracker is not None:
            setattr(tracker, STORED_EVENTS_ATTRIBUTE, len(tracker.events))
        return tracker

    def _additional_events(self, session: sa.orm.Session,
                           tracker: DialogueStateTracker) -> Iterator[Event]:
        """The tracker's events the database doesn't hold yet: those after the
        ones it held when read or last saved (the conversation's lock keeps
        other writers out meanwhile). Rasa's count query for a tracker the store
        did not read, i.e. a new conversation's."""
        stored = getattr(tracker, STORED_EVENTS_ATTRIBUTE, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, None)


def create_engine(url: Any) -> sa.engine.Engine:
    """Rasa's engine options (pool size, schema) with pre-ping and a connect
    timeout; for an SQLite file, a pool of open connections (SQLAlchemy 2.0's
    default), which any thread may use in turn, each in write-ahead-log mode
    with every commit synced to disk."""
    options = {**create_engine_kwargs(url), "pool_pre_ping": True}
    if is_postgresql_url(url):
        options["connect_args"] = {**options.get("connect_args", {}),
                                   "connect_timeout": CONNECT_TIMEOUT_SECONDS}
        return sa.create_engine(url, **options)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return sa.create_engine(url, **options)
    engine = sa.create_engine(url, poolclass=sa.pool.QueuePool,
                              connect_args={"check_same_thread": False}, **options)
    sa.event.listen(engine, "connect", _write_ahead_log_synced)
    return engine


def _write_ahead_log_synced(connection: Any, _record: Any) -> None:
    # The log mode is kept in the database file, the sync level per connection.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")


def _reraise(error: Exception) -> None:
    raise error


_rasas_create_tracker_store = Agent._create_tracker_store


def _create_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
    """Rasa's Agent wraps every tracker store in a FailSafeTrackerStore that falls
    back to memory and offers no setting against it. For our store, the wrapper
    gets the error callback its constructor takes, re-raising instead."""
    if isinstance(store, NoFallbackSQLTrackerStore):
        store.domain = domain
        return FailSafeTrackerStore(store, on_tracker_store_error=_reraise)
    return _rasas_create_tracker_store(store, domain)


# Rasa imports this module (endpoints.yml) before it builds its Agent.
Agent._create_tracker_store = staticmethod(_create_tracker_store)
