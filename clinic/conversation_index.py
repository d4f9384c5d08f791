"""The conversation index: each conversation's summary and messages, kept up
to date from Rasa's tracker events for the staff console's list and transcripts.

Rasa's SQL tracker store keeps conversations as events (table `events`, in the
same database, DATABASE_URL); reading them for a list of thousands of
conversations is too slow. `ConversationIndex.index_new_events()` reads the
events added since it last ran, in batches, and in one transaction per batch
updates two tables:
- conversation_messages: every message (see clinic/conversation_events.py)
  with its intent and confidence, source, staff member's name, and, for what
  patients and staff wrote, its lower-cased text for search; a patient's
  button click as the button's title, with the payload beside it
  (clinic/button_titles.py: the title offered in the conversation's messages
  so far, kept with the assistant's); for a patient's answer to a form's
  question, the slot asked for (such an answer is never a fallback, nor a
  low confidence: clinic/conversation_events.py);
- conversation_summaries: per conversation its first question, start, last
  activity, message count, whether it had an emergency or a fallback, and the
  lowest confidence of its patient's understood messages (form answers aside).
A third, conversation_forms, keeps each conversation's form state (which form
is active, the slot it asks for) from one batch to the next.
The web app runs it every second and before serving a list or a transcript.
The index is a copy: when its tables lack a column this version needs, they
are made again and filled from all of Rasa's events.

One indexer at a time, whatever the number of processes: each batch begins by
locking the progress row (a row lock on PostgreSQL, the write lock on SQLite).
Rasa's event ids come from a sequence, so with several Rasa servers on
PostgreSQL an event can be committed after one with a higher id: an id missing
just before recent events is kept as a gap, and read again until its event
appears or GAP_WAIT has passed.
"""
import json
from collections import defaultdict
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Callable, DefaultDict, Iterable, List, Optional, Sequence, Set, Tuple

from sqlalchemy import (Boolean, Column, DateTime, Float, Index, Integer, MetaData, String,
                        Table, Text, UniqueConstraint, case, delete, func, inspect, select,
                        update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, Row
from sqlalchemy.orm import Session

from clinic.button_titles import Button, ButtonTitles
from clinic.conversation_events import (EMERGENCY_INTENT, FALLBACK_INTENT, NO_FORM, PATIENT,
                                        STAFF_MEMBER, FormState, Message, form_state_after,
                                        message_from_event)
from clinic.database import Base, Database, as_utc, utc_now

BATCH_SIZE = 1000  # events a transaction: short, as Rasa waits for SQLite's write lock
GAP_WAIT = timedelta(minutes=5)

# Rasa's table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent): read
# here, created by Rasa.
RASA_EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
    Column("type_name", String(255)), Column("timestamp", Float), Column("data", Text),
)


class ConversationSummary(Base):
    __tablename__ = "conversation_summaries"

    sender_id = Column(String(255), primary_key=True)
    started_at = Column(DateTime(timezone=True), nullable=False)
    last_activity_at = Column(DateTime(timezone=True), nullable=False)
    first_question = Column(Text)  # None until the patient writes
    first_question_payload = Column(Text)  # when it was a button click
    message_count = Column(Integer, nullable=False)
    emergency = Column(Boolean, nullable=False)
    fallback = Column(Boolean, nullable=False)
    lowest_confidence = Column(Float)  # of the patient's messages, but nlu_fallback and form answers
    last_event_id = Column(Integer, nullable=False)  # its newest message's

    __table_args__ = (Index("ix_conversation_summaries_newest", "last_activity_at", "sender_id"),)


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"

    event_id = Column(Integer, primary_key=True, autoincrement=False)  # Rasa's
    sender_id = Column(String(255), nullable=False)
    timestamp = Column(DateTime(timezone=True), nullable=False)
    sender = Column(String(20), nullable=False)  # patient, assistant or staff
    text = Column(Text, nullable=False)  # as shown: a clicked button's title
    button_payload = Column(Text)  # what the clicked button sent (Rasa's text)
    buttons = Column(Text)  # JSON list of the buttons an assistant's message offered
    search_text = Column(Text)  # lower-cased; what patients and staff wrote
    intent = Column(String(255))
    confidence = Column(Float)
    fallback = Column(Boolean, nullable=False)
    source = Column(Text)
    sections = Column(Text)  # JSON list of the document's section headings
    staff_name = Column(String(100))
    rasa_message_id = Column(String(255))
    form_slot = Column(String(255))  # a patient's answer to a form: the slot asked for

    __table_args__ = (
        Index("ix_conversation_messages_transcript", "sender_id", "event_id"),
        Index("ix_conversation_messages_intent", "intent", "sender_id"),
        # The analytics (clinic/analytics.py): patients' messages over a period.
        Index("ix_conversation_messages_period", "sender", "timestamp", "intent"),
        # A message the two-stage fallback stored again is indexed once.
        UniqueConstraint("sender_id", "rasa_message_id",
                         name="uq_conversation_messages_rasa_message"),
    )


class ConversationForm(Base):
    """A conversation's form state after the events indexed so far."""
    __tablename__ = "conversation_forms"

    sender_id = Column(String(255), primary_key=True)
    active_loop = Column(String(255))
    requested_slot = Column(String(255))


class IndexProgress(Base):
    __tablename__ = "conversation_index_progress"

    id = Column(Integer, primary_key=True, autoincrement=False)  # the one row: 1
    last_event_id = Column(Integer, nullable=False)  # the highest event id read


class IndexGap(Base):
    __tablename__ = "conversation_index_gaps"

    event_id = Column(Integer, primary_key=True, autoincrement=False)
    noticed_at = Column(DateTime(timezone=True), nullable=False)


PROGRESS_ROW = 1
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
INDEX_TABLES = [ConversationSummary.__table__, ConversationMessage.__table__,
                ConversationForm.__table__, IndexProgress.__table__, IndexGap.__table__]


class ConversationIndex:
    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._database = database
        self._clock = clock
        dialect = database.engine.dialect.name
        if dialect not in _INSERTS:
            raise RuntimeError(f"The conversation index needs SQLite or PostgreSQL, not {dialect}")
        self._insert = _INSERTS[dialect]
        self._rasa_events_exist = False
        _remake_if_outdated(database.engine)
        with database.session() as session:
            session.execute(self._insert(IndexProgress.__table__).on_conflict_do_nothing(),
                            [{"id": PROGRESS_ROW, "last_event_id": 0}])

    def index_new_events(self, batch_size: int = BATCH_SIZE,
                         max_batches: Optional[int] = None) -> int:
        """Index the events stored since the last run (all of them, or at most
        `max_batches` batches); returns how many events were read."""
        read, batches = 0, 0
        while max_batches is None or batches < max_batches:
            count, more = self._index_batch(batch_size)
            read, batches = read + count, batches + 1
            if not more:
                break
        return read

    def _index_batch(self, limit: int) -> Tuple[int, bool]:
        """Index up to `limit` new events and any gaps; says whether more wait."""
        if not self._anything_new():
            return 0, False
        with self._database.session() as session:
            progress = self._lock_progress(session)
            gaps = session.execute(select(IndexGap.event_id, IndexGap.noticed_at)).all()
            new = session.execute(select(RASA_EVENTS).where(RASA_EVENTS.c.id > progress)
                                  .order_by(RASA_EVENTS.c.id).limit(limit)).all()
            late = session.execute(select(RASA_EVENTS).where(
                RASA_EVENTS.c.id.in_([gap.event_id for gap in gaps]))).all() if gaps else []
            found = self._messages_of(session, new)
            # A late event's form state is unknown: the events around it were read before.
            found += (message_from_event(row.id, row.sender_id, row.type_name, row.timestamp,
                                         row.data) for row in late)
            messages = _with_button_titles(session, [message for message in found if message])
            self._add_messages(session, messages)
            self._summarise(session, {message.sender_id for message in messages})
            self._keep_gaps(session, progress, new, gaps, {row.id for row in late}, limit)
            if new:
                session.execute(update(IndexProgress).where(IndexProgress.id == PROGRESS_ROW)
                                .values(last_event_id=new[-1].id))
        return len(new) + len(late), len(new) == limit

    def _anything_new(self) -> bool:
        """A look without the lock: are there events past the progress, or gaps?"""
        if not self._rasa_events_exist:  # Rasa makes its table when it first starts
            self._rasa_events_exist = inspect(self._database.engine).has_table("events")
            if not self._rasa_events_exist:
                return False
        with self._database.engine.connect() as connection:
            newest = connection.scalar(select(func.max(RASA_EVENTS.c.id))) or 0
            progress = connection.scalar(select(IndexProgress.last_event_id))
            return newest > progress or connection.scalar(
                select(func.count()).select_from(IndexGap)) > 0

    @staticmethod
    def _lock_progress(session: Session) -> int:
        session.execute(update(IndexProgress).where(IndexProgress.id == PROGRESS_ROW)
                        .values(last_event_id=IndexProgress.last_event_id))
        return session.scalar(select(IndexProgress.last_event_id)
                              .where(IndexProgress.id == PROGRESS_ROW))

    def _messages_of(self, session: Session, rows: Sequence[Row]) -> List[Optional[Message]]:
        """The messages of new events, in order, each with its conversation's
        form state when it came; the form states after them are stored."""
        form = ConversationForm
        senders = {row.sender_id for row in rows}
        states = {row.sender_id: FormState(row.active_loop, row.requested_slot)
                  for row in session.execute(
                      select(form.sender_id, form.active_loop, form.requested_slot)
                      .where(form.sender_id.in_(senders)))} if senders else {}
        before = dict(states)
        messages = []
        for row in rows:
            state = states.get(row.sender_id, NO_FORM)
            messages.append(message_from_event(row.id, row.sender_id, row.type_name,
                                               row.timestamp, row.data, state))
            states[row.sender_id] = form_state_after(state, row.type_name, row.data)
        changed = [{"sender_id": sender_id, "active_loop": state.active_loop,
                    "requested_slot": state.requested_slot}
                   for sender_id, state in states.items()
                   if state != before.get(sender_id, NO_FORM)]
        if changed:
            insert = self._insert(form.__table__)
            session.execute(insert.on_conflict_do_update(
                index_elements=["sender_id"],
                set_={"active_loop": insert.excluded.active_loop,
                      "requested_slot": insert.excluded.requested_slot}), changed)
        return messages

    def _add_messages(self, session: Session, messages: List[Message]) -> None:
        if not messages:
            return
        session.execute(self._insert(ConversationMessage.__table__).on_conflict_do_nothing(), [{
            "event_id": m.event_id, "sender_id": m.sender_id, "timestamp": m.timestamp,
            "sender": m.sender, "text": m.text, "button_payload": m.button_payload,
            "buttons": json.dumps([asdict(b) for b in m.buttons]) if m.buttons else None,
            "search_text": m.text.lower() if m.sender in (PATIENT, STAFF_MEMBER) else None,
            "intent": m.intent, "confidence": m.confidence, "fallback": m.fallback,
            "source": m.source, "sections": json.dumps(m.sections) if m.sections else None,
            "staff_name": m.staff_name, "rasa_message_id": m.rasa_message_id,
            "form_slot": m.form_slot,
        } for m in messages])

    def _summarise(self, session: Session, senders: Set[str]) -> None:
        """Recount the summaries of these conversations from their messages."""
        if not senders:
            return
        m = ConversationMessage.__table__
        counts = session.execute(
            select(m.c.sender_id, func.min(m.c.timestamp).label("started_at"),
                   func.max(m.c.timestamp).label("last_activity_at"),
                   func.count().label("message_count"),
                   func.max(case((m.c.intent == EMERGENCY_INTENT, 1), else_=0)).label("emergency"),
                   func.max(case((m.c.fallback, 1), else_=0)).label("fallback"),
                   func.min(case(((m.c.sender == PATIENT) & (m.c.intent != FALLBACK_INTENT)
                                  & m.c.form_slot.is_(None), m.c.confidence)))
                   .label("lowest_confidence"),
                   func.max(m.c.event_id).label("last_event_id"),
                   func.min(case((m.c.sender == PATIENT, m.c.event_id))).label("first_question_id"))
            .where(m.c.sender_id.in_(senders)).group_by(m.c.sender_id)).all()
        first_ids = [row.first_question_id for row in counts if row.first_question_id is not None]
        first_questions = {sender_id: (text, payload) for sender_id, text, payload in
                           session.execute(select(m.c.sender_id, m.c.text, m.c.button_payload)
                                           .where(m.c.event_id.in_(first_ids)))}
        summaries = []
        for row in counts:
            question, payload = first_questions.get(row.sender_id, (None, None))
            summaries.append({
                "sender_id": row.sender_id, "started_at": row.started_at,
                "last_activity_at": row.last_activity_at,
                "first_question": question, "first_question_payload": payload,
                "message_count": row.message_count, "emergency": bool(row.emergency),
                "fallback": bool(row.fallback), "lowest_confidence": row.lowest_confidence,
                "last_event_id": row.last_event_id,
            })
        insert = self._insert(ConversationSummary.__table__)
        session.execute(insert.on_conflict_do_update(
            index_elements=["sender_id"],
            set_={key: insert.excluded[key] for key in summaries[0] if key != "sender_id"},
        ), summaries)

    def _keep_gaps(self, session: Session, progress: int, new: Sequence[Row],
                   gaps: Sequence[Row], found: Set[int], limit: int) -> None:
        now = self._clock()
        done = [gap.event_id for gap in gaps
                if gap.event_id in found or as_utc(gap.noticed_at) < now - GAP_WAIT]
        if done:
            session.execute(delete(IndexGap).where(IndexGap.event_id.in_(done)))
        missing = list(_missing_ids(progress, new, now - GAP_WAIT, limit))
        if missing:
            session.execute(self._insert(IndexGap.__table__).on_conflict_do_nothing(),
                            [{"event_id": event_id, "noticed_at": now} for event_id in missing])


def _with_button_titles(session: Session, messages: List[Message]) -> List[Message]:
    """The messages in event order, a patient's button click as the title of
    the button offered with its payload."""
    offered = _offered_so_far(session, {m.sender_id for m in messages if m.sender == PATIENT})
    shown = []
    for message in sorted(messages, key=lambda m: m.event_id):
        titles = offered[message.sender_id]
        titles.offer(message.buttons)
        title = titles.title_of(message.text) if message.sender == PATIENT else None
        shown.append(replace(message, text=title, button_payload=message.text)
                     if title else message)
    return shown


def _offered_so_far(session: Session, senders: Set[str]) -> DefaultDict[str, ButtonTitles]:
    """The buttons offered in these conversations' messages indexed so far."""
    offered: DefaultDict[str, ButtonTitles] = defaultdict(ButtonTitles)
    if not senders:
        return offered
    message = ConversationMessage
    for sender_id, buttons in session.execute(
            select(message.sender_id, message.buttons)
            .where(message.sender_id.in_(senders), message.buttons.isnot(None))
            .order_by(message.event_id)):
        offered[sender_id].offer(Button(**button) for button in json.loads(buttons))
    return offered


def _remake_if_outdated(engine: Engine) -> None:
    """Make the index's tables again, empty, when one lacks a column of this
    version (a database indexed by an earlier one)."""
    inspector = inspect(engine)
    if any(inspector.has_table(table.name)
           and set(table.columns.keys()) - {c["name"] for c in inspector.get_columns(table.name)}
           for table in INDEX_TABLES):
        Base.metadata.drop_all(engine, tables=INDEX_TABLES)
        Base.metadata.create_all(engine, tables=INDEX_TABLES)


def _missing_ids(progress: int, new: Sequence[Row], since: datetime,
                 limit: int) -> Iterable[int]:
    """Ids skipped just before events stored since `since`: ones that may still
    be committed. Longer runs of missing ids are deleted events, not late ones."""
    previous = progress
    for row in new:
        skipped = row.id - previous - 1
        if 0 < skipped <= limit and (row.timestamp or 0) >= since.timestamp():
            yield from range(previous + 1, row.id)
        previous = row.id
