"""Retention: patients' conversations are kept RETENTION_DAYS days (default 90)
after their last message, then deleted everywhere the clinic keeps them.

What goes, once older than the retention period:
- a conversation whose newest event in Rasa's tracker store is older: its
  events, its rows in the conversation index, its handoff and callback
  requests and the annotations of its messages (clinic/patient_data.py,
  `erase`);
- a handoff or callback request created, or an annotation made, before the
  period began, even when its conversation carries on (and any of them whose
  conversation is already gone).
Deleted, not anonymised: a conversation's text is what identifies a patient
(names, phone numbers, symptoms), and no figure the console needs is worth
keeping it for. The audit log is kept as it is: it is append-only (the
database refuses deletes), holds conversation ids but never a message's text,
and is the record of who did what, including this job's deletions.

Why 90 days: enough for staff to call patients back, review handoffs and
annotate messages for the content team (the console's analytics cover up to a
year, so older figures go with their conversations); this assistant is not the
patient's medical record, which the clinic keeps elsewhere.

    python -m clinic.retention [--dry-run]   # once (make retention)
    python -m clinic.retention --every-hours 24   # the Procfile's daily job
"""
import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, List, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clinic import settings
from clinic.annotations import Annotation
from clinic.audit_log import AuditLog
from clinic.conversation_index import RASA_EVENTS, ConversationIndex
from clinic.database import Database, utc_now
from clinic.handoff_store import CallbackRequest, HandoffRequest
from clinic.patient_data import BLANKED, NOTHING, Erased, erase, rasa_events_exist

DEFAULT_DAYS = 90
BATCH = 200  # conversations a transaction: Rasa waits for SQLite's write lock meanwhile

logger = logging.getLogger(__name__)


def retention_days() -> int:
    """RETENTION_DAYS: whole days, at least 1."""
    value = os.environ.get("RETENTION_DAYS", "").strip() or str(DEFAULT_DAYS)
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise ValueError(f"RETENTION_DAYS must be a whole number of days, 1 or more, "
                         f"not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Expired:
    """What is older than the retention period."""
    conversations: List[str]  # whose last event is older
    handoff_requests: int  # counts of the requests and annotations older by their own date
    callback_requests: int
    annotations: int


class Retention:
    def __init__(self, database: Database, days: int,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._database = database
        self._days = days
        self._clock = clock
        ConversationIndex(database)  # its tables, which `erase` empties too

    @property
    def cutoff(self) -> datetime:
        return self._clock() - timedelta(days=self._days)

    def expired(self) -> Expired:
        cutoff = self.cutoff
        with self._database.session() as session:
            return Expired(
                conversations=self._expired_conversations(session, cutoff),
                handoff_requests=session.scalar(select(func.count()).select_from(HandoffRequest)
                                                .where(HandoffRequest.created_at < cutoff)),
                callback_requests=session.scalar(select(func.count()).select_from(CallbackRequest)
                                                 .where(CallbackRequest.created_at < cutoff)),
                annotations=session.scalar(select(func.count()).select_from(Annotation)
                                           .where(Annotation.annotated_at < cutoff)))

    def _expired_conversations(self, session: Session, cutoff: datetime) -> List[str]:
        if not rasa_events_exist(self._database):
            return []
        return list(session.scalars(
            select(RASA_EVENTS.c.sender_id).where(RASA_EVENTS.c.sender_id != BLANKED)
            .group_by(RASA_EVENTS.c.sender_id)
            .having(func.max(RASA_EVENTS.c.timestamp) < cutoff.timestamp())
            .order_by(RASA_EVENTS.c.sender_id)))

    def run(self) -> Erased:
        """Delete everything older than the retention period; returns the counts."""
        cutoff = self.cutoff
        with_events = rasa_events_exist(self._database)
        with self._database.session() as session:
            conversations = self._expired_conversations(session, cutoff)
        erased = NOTHING
        for start in range(0, len(conversations), BATCH):
            with self._database.session() as session:
                erased += erase(session, conversations[start:start + BATCH], with_events)
        with self._database.session() as session:
            erased += Erased({
                "handoff_requests": _delete_older(session, HandoffRequest,
                                                  HandoffRequest.created_at < cutoff),
                "callback_requests": _delete_older(session, CallbackRequest,
                                                   CallbackRequest.created_at < cutoff),
                "annotations": _delete_older(session, Annotation,
                                             Annotation.annotated_at < cutoff)})
        return erased


def _delete_older(session: Session, model, older) -> int:
    return session.execute(delete(model).where(older)).rowcount


def run_once(database: Database, days: int, dry_run: bool) -> None:
    retention = Retention(database, days)
    if dry_run:
        expired = retention.expired()
        print(f"Older than {days} days (before {retention.cutoff:%Y-%m-%d %H:%M} UTC), "
              f"would be deleted: {len(expired.conversations)} conversations, and by their own "
              f"date {expired.handoff_requests} handoff requests, {expired.callback_requests} "
              f"callback requests, {expired.annotations} annotations. Nothing was deleted.")
        return
    erased = retention.run()
    AuditLog(database).record("retention_run", None, details={"days": days, "rows": erased.rows})
    # Counts only: never a conversation id or text in the log.
    message = f"Retention ({days} days): deleted " + ", ".join(
        f"{count} {table}" for table, count in erased.rows.items())
    print(message)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clinic.retention",
        description="Delete conversations, handoff and callback requests and annotations "
                    "older than RETENTION_DAYS days (default %d)." % DEFAULT_DAYS)
    parser.add_argument("--dry-run", action="store_true",
                        help="only count what would be deleted")
    parser.add_argument("--every-hours", type=float,
                        help="keep running, once now and then every this many hours")
    arguments = parser.parse_args(argv)
    try:
        days = retention_days()
    except ValueError as error:
        parser.error(str(error))
    if arguments.every_hours is not None and arguments.every_hours <= 0:
        parser.error("--every-hours must be above 0")
    database = Database(settings.database_url())
    try:
        while True:
            try:
                run_once(database, days, arguments.dry_run)
            except Exception:  # a scheduled run must not end the schedule
                if arguments.every_hours is None:
                    raise
                logger.exception("The retention run failed; it runs again next time")
            if arguments.every_hours is None:
                return 0
            sys.stdout.flush()
            time.sleep(arguments.every_hours * 3600)
    finally:
        database.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
