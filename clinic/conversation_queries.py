"""Reading the conversation index (clinic/conversation_index.py): pages of the
conversation list, newest activity first, with filters; and transcripts.

The flags of a conversation: `emergency` and `fallback` from its messages,
`low_confidence` when a patient's understood message had an intent confidence
below the threshold given, and `handoff_waiting` / `urgent` from its handoff
requests (clinic/handoff_store.py) as they are now.
"""
import json
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import exists, select
from sqlalchemy.engine import Row

from clinic.conversation_index import ConversationMessage, ConversationSummary
from clinic.database import Database, iso
from clinic.handoff_store import ACTIVE, CANCELLED, RESOLVED, WAITING, HandoffRequest

PAGE_SIZE = 50
FLAGS = ("emergency", "urgent", "handoff_waiting", "fallback", "low_confidence")


@dataclass(frozen=True)
class ConversationFilters:
    text: str = ""  # in what patients or staff wrote, ignoring case
    active_from: Optional[datetime] = None  # with messages at or after this moment
    active_before: Optional[datetime] = None  # ... and before this one
    flag: Optional[str] = None  # one of FLAGS
    intent: Optional[str] = None  # a patient's message had this intent


@dataclass(frozen=True)
class ConversationPage:
    number: int
    conversations: List[dict]  # newest activity first
    has_next: bool


@dataclass(frozen=True)
class Transcript:
    conversation: dict
    messages: List[dict]  # oldest first
    handoff_events: List[dict]  # oldest first


class ConversationQueries:
    def __init__(self, database: Database) -> None:
        self._session = database.session

    def page(self, filters: ConversationFilters, number: int,
             low_confidence: float) -> ConversationPage:
        """Page `number` (from 1) of the conversations that pass the filters."""
        query = self._summaries(low_confidence)
        for condition in self._conditions(filters, low_confidence):
            query = query.where(condition)
        summary = ConversationSummary
        query = (query.order_by(summary.last_activity_at.desc(), summary.sender_id.desc())
                 .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
        with self._session() as session:
            rows = session.execute(query).all()
        return ConversationPage(number, [_conversation(row) for row in rows[:PAGE_SIZE]],
                                has_next=len(rows) > PAGE_SIZE)

    def intents(self) -> List[str]:
        """Every intent patients' messages have had, for the intent filter."""
        message = ConversationMessage
        with self._session() as session:
            return list(session.scalars(select(message.intent).distinct()
                                        .where(message.intent.isnot(None))
                                        .order_by(message.intent)))

    def transcript(self, sender_id: str, low_confidence: float,
                   after: int = 0) -> Optional[Transcript]:
        """The conversation's messages after event id `after`; None if there is
        no such conversation."""
        message, request = ConversationMessage, HandoffRequest
        if sender_id != _storable(sender_id):
            return None
        with self._session() as session:
            row = session.execute(self._summaries(low_confidence)
                                  .where(ConversationSummary.sender_id == sender_id)).first()
            if row is None:
                return None
            messages = session.scalars(select(message).where(
                message.sender_id == sender_id, message.event_id > after)
                .order_by(message.event_id)).all()
            requests = session.scalars(select(request).where(request.conversation_id == sender_id)
                                       .order_by(request.created_at, request.id)).all()
            return Transcript(_conversation(row), [_message(m) for m in messages],
                              sorted((e for r in requests for e in _handoff_events(r)),
                                     key=lambda event: event["at"]))

    @staticmethod
    def _summaries(low_confidence: float):
        return select(ConversationSummary, *(
            condition.label(flag) for flag, condition in _flags(low_confidence).items()))

    @staticmethod
    def _conditions(filters: ConversationFilters, low_confidence: float) -> list:
        summary, message = ConversationSummary, ConversationMessage
        conditions = []
        if filters.text:
            conditions.append(summary.sender_id.in_(select(message.sender_id).where(
                message.search_text.contains(_storable(filters.text.lower()), autoescape=True))))
        if filters.intent:
            conditions.append(summary.sender_id.in_(
                select(message.sender_id).where(message.intent == _storable(filters.intent))))
        if filters.active_from:
            conditions.append(summary.last_activity_at >= filters.active_from)
        if filters.active_before:
            conditions.append(summary.started_at < filters.active_before)
        if filters.flag:
            conditions.append(_flags(low_confidence)[filters.flag])
        return conditions


def _storable(text: str) -> str:
    """Text as the database can hold it: PostgreSQL's text has no NUL character
    (and refuses a query with one)."""
    return text.replace("\x00", "")


def _flags(low_confidence: float) -> dict:
    """Each flag as an SQL condition on a conversation summary."""
    summary, request = ConversationSummary, HandoffRequest
    mine = request.conversation_id == summary.sender_id
    return {
        "emergency": summary.emergency.is_(True),
        "urgent": exists().where(mine, request.status.in_(ACTIVE), request.urgent.is_(True)),
        "handoff_waiting": exists().where(mine, request.status == WAITING),
        "fallback": summary.fallback.is_(True),
        "low_confidence": summary.lowest_confidence < low_confidence,
    }


def _conversation(row: Row) -> dict:
    summary = row.ConversationSummary
    return {
        "sender_id": summary.sender_id, "first_question": summary.first_question,
        "first_question_payload": summary.first_question_payload,
        "started_at": iso(summary.started_at), "last_activity_at": iso(summary.last_activity_at),
        "message_count": summary.message_count, "last_event_id": summary.last_event_id,
        "flags": [flag for flag in FLAGS if getattr(row, flag)],
    }


def _message(message: ConversationMessage) -> dict:
    return {
        "event_id": message.event_id, "sender": message.sender, "at": iso(message.timestamp),
        "text": message.text, "button_payload": message.button_payload,
        "intent": message.intent, "confidence": message.confidence,
        "source": message.source, "sections": json.loads(message.sections or "[]"),
        "staff_name": message.staff_name, "form_slot": message.form_slot,
    }


def _handoff_events(request: HandoffRequest) -> List[dict]:
    """What happened to a handoff request: requested, claimed, and how it ended."""
    events = [{"id": request.id, "kind": "requested", "at": iso(request.created_at),
               "reason": request.reason, "urgent": request.urgent}]
    if request.claimed_at:
        events.append({"id": request.id, "kind": "claimed", "at": iso(request.claimed_at),
                       "staff_name": request.claimed_by})
    if request.closed_at and request.status in (RESOLVED, CANCELLED):
        ending = ("handed_back" if request.status == RESOLVED
                  else "callback_offered" if request.callback_offered else "cancelled")
        events.append({"id": request.id, "kind": ending, "at": iso(request.closed_at)})
    return events
