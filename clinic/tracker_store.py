"""Rasa's SQL tracker store without its silent fallback to memory.

Rasa's own SQLTrackerStore, wrapped by Rasa's Agent in a FailSafeTrackerStore,
loses conversations when the database is down: a failed save goes to an
in-memory store nobody reads back, and a failed read starts the patient over
with an empty conversation, both with only a log line. A custom tracker class
whose import or constructor fails is replaced by an in-memory store too.

NoFallbackSQLTrackerStore (endpoints.production.yml) instead:
- at start, waits for the database up to `startup_timeout_seconds`, saying so
  in the log, then refuses to start (ConnectionException);
- at run time, raises TrackerStoreUnavailable when a read or save fails, so the
  message is not acknowledged (the channels answer "try again shortly",
  clinic/store_outage.py); a save is one transaction, stored whole or not at all;
- keeps a pool of connections checked before use (pre-ping), so service
  resumes by itself, without a restart, when the database is back.
"""
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
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import ConnectionException

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 30.0
STARTUP_RETRY_SECONDS = 2.0
# How long opening one connection may take before it counts as a failure.
CONNECT_TIMEOUT_SECONDS = 5


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
            self.engine = sa.create_engine(url, **engine_options(url))
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

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        with self._database("read the conversation"):
            return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        with self._database("read the conversation"):
            return await super().retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[Text]:
        with self._database("list the conversations"):
            return await super().keys()


def engine_options(url: Any) -> Dict[Text, Any]:
    """Rasa's engine options (pool size, schema) with pre-ping and a connect timeout."""
    options = {**create_engine_kwargs(url), "pool_pre_ping": True}
    if is_postgresql_url(url):
        options["connect_args"] = {**options.get("connect_args", {}),
                                   "connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return options


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
