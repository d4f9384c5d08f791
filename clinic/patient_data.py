"""A patient's conversation on request: everything the clinic keeps of it,
exported as JSON, or deleted everywhere.

A conversation lives in Rasa's tracker store (table `events`), in the
conversation index (clinic/conversation_index.py), in handoff and callback
requests (clinic/handoff_store.py) and in annotations, which quote patients'
messages (clinic/annotations.py). `erase()` deletes it from all of them in one
transaction; retention (clinic/retention.py) uses it too. The audit log keeps
its entries: they are append-only, hold conversation ids and never a message's
text.

Rasa's SQL tracker store keeps no copy of a conversation in memory between
messages: each message reads the tracker from the database, so the next one
after a deletion starts a new conversation. Only a message being answered at
that moment holds the old tracker, and saving it would write the deleted events
back; `PatientData.delete()` waits for that turn through Rasa's lock
(clinic/rasa_api.py, `wait_for_turn`) and deletes again.

    python -m clinic.patient_data export CONVERSATION_ID [--output FILE]
    python -m clinic.patient_data delete CONVERSATION_ID
"""
import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from sqlalchemy import bindparam, delete, func, inspect, select, text, true, update
from sqlalchemy.orm import Session

from clinic import settings
from clinic.annotations import Annotation
from clinic.audit_log import AuditLog
from clinic.conversation_events import message_from_event
from clinic.conversation_index import (PROGRESS_ROW, RASA_EVENTS, ConversationForm,
                                       ConversationIndex, ConversationMessage,
                                       ConversationSummary, IndexProgress)
from clinic.database import Database, iso, utc_now
from clinic.handoff_store import CallbackRequest, HandoffRequest
from clinic.rasa_api import RasaApi, RasaApiError
from clinic.staff import Staff

# What a deletion counts, by table.
ERASED = ("events", "conversation_messages", "conversation_summaries",
          "handoff_requests", "callback_requests", "annotations")


@dataclass(frozen=True)
class Erased:
    """How many rows a deletion removed, per table of ERASED."""
    rows: Dict[str, int]

    @property
    def anything(self) -> bool:
        return any(self.rows.values())

    def __add__(self, other: "Erased") -> "Erased":
        return Erased({table: self.rows.get(table, 0) + other.rows.get(table, 0)
                       for table in ERASED})


NOTHING = Erased({table: 0 for table in ERASED})
# The sender and type of a blanked event (see _erase_events): no channel issues this id.
BLANKED = "(deleted)"


def lock_index(session: Session) -> None:
    """Take the conversation indexer's lock (its progress row, see
    clinic/conversation_index.py) so it can't index, between our deletes,
    events read before them."""
    session.execute(update(IndexProgress).where(IndexProgress.id == PROGRESS_ROW)
                    .values(last_event_id=IndexProgress.last_event_id))


def erase(session: Session, conversation_ids: Iterable[str], with_events: bool) -> Erased:
    """Delete these conversations from every table that holds them (Rasa's
    `events` too when `with_events`: the table exists once Rasa has started)."""
    ids = list(conversation_ids)
    if not ids:
        return NOTHING
    lock_index(session)
    statements = {
        "conversation_messages": delete(ConversationMessage)
        .where(ConversationMessage.sender_id.in_(ids)),
        "conversation_summaries": delete(ConversationSummary)
        .where(ConversationSummary.sender_id.in_(ids)),
        "handoff_requests": delete(HandoffRequest).where(HandoffRequest.conversation_id.in_(ids)),
        "callback_requests": delete(CallbackRequest)
        .where(CallbackRequest.conversation_id.in_(ids)),
        "annotations": delete(Annotation).where(Annotation.conversation_id.in_(ids)),
    }
    erased = {table: session.execute(statement).rowcount
              for table, statement in statements.items()}
    # Which form was active: no words of the patient's, so not counted.
    session.execute(delete(ConversationForm).where(ConversationForm.sender_id.in_(ids)))
    if with_events:
        erased["events"] = _erase_events(session, ids)
    return NOTHING + Erased(erased)


def _erase_events(session: Session, ids: List[str]) -> int:
    """Delete the conversations' events from Rasa's table. On SQLite the newest
    row of the table, if it is one of theirs, is blanked instead: SQLite gives
    a new row the highest id plus one, and the conversation index (which reads
    events by rising id) would never read new events that reuse deleted ids."""
    events = RASA_EVENTS.c
    newest = session.scalar(select(func.max(events.id)))
    keep_newest = session.get_bind().dialect.name == "sqlite"
    deleted = session.execute(delete(RASA_EVENTS).where(
        events.sender_id.in_(ids), events.id != newest if keep_newest else true())).rowcount
    if keep_newest:  # intent_name and action_name are Rasa's columns, not in RASA_EVENTS
        deleted += session.execute(text(
            "UPDATE events SET sender_id = :blanked, type_name = :blanked, data = '{}', "
            "intent_name = NULL, action_name = NULL WHERE id = :newest AND sender_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
            {"blanked": BLANKED, "newest": newest, "ids": ids}).rowcount
    return deleted


def rasa_events_exist(database: Database) -> bool:
    return inspect(database.engine).has_table(RASA_EVENTS.name)


class PatientData:
    def __init__(self, database: Database, rasa_api: Optional[RasaApi] = None) -> None:
        self._database = database
        self._rasa_api = rasa_api
        ConversationIndex(database)  # its tables and progress row, for the lock

    def export(self, conversation_id: str) -> Optional[dict]:
        """Everything kept of the conversation, or None when nothing is: its
        messages with their times (from Rasa's events, complete even before the
        index has caught up), handoff and callback requests, annotations."""
        with self._database.session() as session:
            messages = self._messages(session, conversation_id)
            handoffs = [r.as_dict() for r in session.scalars(
                select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id)
                .order_by(HandoffRequest.id))]
            callbacks = [c.as_dict() for c in session.scalars(
                select(CallbackRequest).where(CallbackRequest.conversation_id == conversation_id)
                .order_by(CallbackRequest.id))]
            annotations = [_annotation(a) for a in session.scalars(
                select(Annotation).where(Annotation.conversation_id == conversation_id)
                .order_by(Annotation.id))]
        if not (messages or handoffs or callbacks or annotations):
            return None
        return {"conversation_id": conversation_id, "exported_at": iso(utc_now()),
                "messages": messages, "handoff_requests": handoffs,
                "callback_requests": callbacks, "annotations": annotations}

    def _messages(self, session: Session, conversation_id: str) -> List[dict]:
        if not rasa_events_exist(self._database):
            return []
        rows = session.execute(select(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == conversation_id)
                               .order_by(RASA_EVENTS.c.id))
        messages = (message_from_event(row.id, row.sender_id, row.type_name, row.timestamp,
                                       row.data) for row in rows)
        return [{"at": iso(m.timestamp), "sender": m.sender, "text": m.text,
                 **({"staff_name": m.staff_name} if m.staff_name else {}),
                 **({"source": m.source} if m.source else {})}
                for m in messages if m]

    def erase_now(self, conversation_id: str) -> Erased:
        with self._database.session() as session:
            return erase(session, [conversation_id], rasa_events_exist(self._database))

    async def delete(self, conversation_id: str) -> "Deletion":
        """Delete the conversation everywhere, also from a turn Rasa is
        answering right now (when Rasa can be asked to finish it)."""
        erased = await asyncio.to_thread(self.erase_now, conversation_id)
        if self._rasa_api is None:
            return Deletion(erased, "no RASA_API_TOKEN to reach Rasa with")
        try:
            await self._rasa_api.wait_for_turn(conversation_id)
        except RasaApiError as error:
            return Deletion(erased, str(error))
        return Deletion(erased + await asyncio.to_thread(self.erase_now, conversation_id), None)


@dataclass(frozen=True)
class Deletion:
    erased: Erased
    # Why a turn Rasa was answering could not be waited for (None: it was, or
    # there was none); deleting again later removes what it saved.
    unchecked_turn: Optional[str]


def _annotation(annotation: Annotation) -> dict:
    # Who annotated is the clinic's business, not part of the patient's data.
    shown = annotation.as_dict()
    return {key: shown[key] for key in ("event_id", "text", "intent", "annotated_at")}


def audit_deletion(log: AuditLog, staff: Optional[Staff], conversation_id: str,
                   erased: Erased, how: str) -> None:
    """The deletion in the audit log: which conversation, how many rows (no text)."""
    log.record("conversation_deleted", staff, "conversation", conversation_id,
               {"rows": erased.rows, "how": how})


def _rasa_api() -> Optional[RasaApi]:
    try:
        return RasaApi.from_settings()
    except RuntimeError:  # no RASA_API_TOKEN: no running Rasa to wait for here
        return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinic.patient_data",
                                     description="Export or delete a patient's conversation.")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="print the conversation as JSON")
    export.add_argument("conversation_id")
    export.add_argument("--output", help="write it to this file instead")
    remove = commands.add_parser("delete", help="delete the conversation everywhere")
    remove.add_argument("conversation_id")
    arguments = parser.parse_args(argv)

    database = Database(settings.database_url())
    try:
        if arguments.command == "export":
            return _export(PatientData(database), arguments.conversation_id, arguments.output)
        return _delete(database, arguments.conversation_id)
    finally:
        database.engine.dispose()


def _export(data: PatientData, conversation_id: str, output: Optional[str]) -> int:
    exported = data.export(conversation_id)
    if exported is None:
        print(f"No conversation {conversation_id!r} is stored.", file=sys.stderr)
        return 1
    text = json.dumps(exported, indent=2, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        print(f"Wrote conversation {conversation_id!r} to {output}.")
    else:
        print(text)
    return 0


def _delete(database: Database, conversation_id: str) -> int:
    deletion = asyncio.run(PatientData(database, _rasa_api()).delete(conversation_id))
    if deletion.erased.anything:
        audit_deletion(AuditLog(database), None, conversation_id, deletion.erased,
                       "command line")
        print(f"Deleted conversation {conversation_id!r}: " + ", ".join(
            f"{count} {table}" for table, count in deletion.erased.rows.items()))
    else:
        print(f"No conversation {conversation_id!r} is stored; nothing was deleted.")
    if deletion.unchecked_turn:
        print(f"Rasa was not asked to finish a message it may be answering in this "
              f"conversation ({deletion.unchecked_turn}): if the patient was chatting just "
              "now, run the command again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
