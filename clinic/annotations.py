"""Annotations of patients' messages: the intent a message should have had, or
"new topic" (something the assistant doesn't know about yet), for the content
team to learn from.

An editor annotates a patient's message from its transcript (webapp/
console_annotations.py). The annotation keeps a copy of the message's text,
and of the entities the assistant found in it (e.g. a condition), as they were
then; `python -m clinic.export_annotations` turns the annotations into
training examples and marks them exported. A message can be annotated again:
the new choice replaces the one not yet exported, and one already exported
stays as it was (its example is in the training data).
"""
import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import Column, DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Session

from clinic.conversation_events import PATIENT
from clinic.conversation_index import RASA_EVENTS, ConversationMessage
from clinic.database import Base, Database, iso, utc_now
from clinic.staff import Staff
from clinic.training_data_check import NLU_DIR, Example, load_examples

NEW_TOPIC = "new topic"  # never an intent's name: those have no spaces
MAX_NOTE_LENGTH = 500


class Annotation(Base):
    __tablename__ = "annotations"

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, nullable=False, index=True)  # Rasa's, of the patient's message
    conversation_id = Column(String(255), nullable=False, index=True)
    text = Column(Text, nullable=False)  # the message as it was annotated
    entities = Column(Text, nullable=False, default="[]")  # JSON: what the assistant found
    intent = Column(String(255), nullable=False)  # the intent it should have had, or NEW_TOPIC
    note = Column(Text)
    annotated_by_id = Column(Integer, nullable=False)  # the staff account
    annotated_by = Column(String(100), nullable=False)  # its display name then
    annotated_at = Column(DateTime(timezone=True), nullable=False)
    exported_at = Column(DateTime(timezone=True), index=True)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "event_id": self.event_id, "conversation_id": self.conversation_id,
            "text": self.text, "entities": json.loads(self.entities), "intent": self.intent,
            "note": self.note, "annotated_by_id": self.annotated_by_id,
            "annotated_by": self.annotated_by, "annotated_at": iso(self.annotated_at),
            "exported_at": iso(self.exported_at),
        }


class NotAPatientMessage(LookupError):
    """No patient's message with this event id in this conversation."""


def intents_of(examples: Iterable[Example]) -> Tuple[str, ...]:
    """The intents a message can be annotated with: those of the training data
    (the only ones the assistant can learn), one topic before two topics."""
    return tuple(sorted({intent for intent, _ in examples},
                        key=lambda intent: ("+" in intent, intent)))


@lru_cache(maxsize=None)
def intent_choices(nlu_dir: Path = NLU_DIR) -> Tuple[str, ...]:
    """intents_of() the training data, read once a process (about a second)."""
    return intents_of(load_examples(nlu_dir))


class Annotations:
    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._session = database.session
        self._clock = clock

    def annotate(self, staff: Staff, conversation_id: str, event_id: int, intent: str,
                 note: Optional[str]) -> dict:
        """Record (or change, until exported) what a patient's message should
        have been understood as."""
        if "\x00" in conversation_id:  # never in an id; PostgreSQL refuses it in a query
            raise NotAPatientMessage(event_id)
        note = (note or "").replace("\x00", "").strip() or None
        with self._session() as session:
            message = session.scalars(select(ConversationMessage).where(
                ConversationMessage.event_id == event_id,
                ConversationMessage.sender_id == conversation_id,
                ConversationMessage.sender == PATIENT,
                ConversationMessage.form_slot.is_(None))).first()  # not a form's answer
            if message is None:
                raise NotAPatientMessage(event_id)
            annotation = session.scalars(select(Annotation).where(
                Annotation.event_id == event_id, Annotation.exported_at.is_(None))).first()
            if annotation is None:
                annotation = Annotation(
                    event_id=event_id, conversation_id=conversation_id, text=message.text,
                    entities=json.dumps(_entities_found(session, event_id, message.text)))
                session.add(annotation)
            annotation.intent, annotation.note = intent, note
            annotation.annotated_by_id, annotation.annotated_by = staff.id, staff.display_name
            annotation.annotated_at = self._clock()
            session.flush()
            return annotation.as_dict()

    def of_conversation(self, conversation_id: str) -> Dict[int, List[dict]]:
        """The conversation's annotations by message (event id), oldest first."""
        by_message: Dict[int, List[dict]] = {}
        with self._session() as session:
            for annotation in session.scalars(
                    select(Annotation).where(Annotation.conversation_id == conversation_id)
                    .order_by(Annotation.annotated_at, Annotation.id)):
                by_message.setdefault(annotation.event_id, []).append(annotation.as_dict())
        return by_message

    def not_exported(self) -> List[dict]:
        with self._session() as session:
            return [annotation.as_dict() for annotation in session.scalars(
                select(Annotation).where(Annotation.exported_at.is_(None))
                .order_by(Annotation.annotated_at, Annotation.id))]

    def new_topics(self) -> List[dict]:
        """Every message annotated as a new topic, exported or not, oldest first."""
        with self._session() as session:
            return [annotation.as_dict() for annotation in session.scalars(
                select(Annotation).where(Annotation.intent == NEW_TOPIC)
                .order_by(Annotation.annotated_at, Annotation.id))]

    def mark_exported(self, annotation_ids: Iterable[int]) -> None:
        ids = list(annotation_ids)
        if ids:
            with self._session() as session:
                session.execute(update(Annotation).where(Annotation.id.in_(ids))
                                .values(exported_at=self._clock()))


def _entities_found(session: Session, event_id: int, text: str) -> List[dict]:
    """The entities the assistant found in the patient's message (Rasa's
    parse data of its event), placed in `text`, the message as the conversation
    index keeps it (without the spaces around it)."""
    data = session.scalar(select(RASA_EVENTS.c.data).where(RASA_EVENTS.c.id == event_id))
    try:
        event = json.loads(data or "")
        original, entities = event["text"], event["parse_data"]["entities"]
        lead = len(original) - len(original.lstrip())
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    found = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict):
            continue
        name, start, end = entity.get("entity"), entity.get("start"), entity.get("end")
        if not (isinstance(name, str) and isinstance(start, int) and isinstance(end, int)):
            continue
        start, end = start - lead, end - lead
        if 0 <= start < end <= len(text):
            value = entity.get("value")
            found.append({"start": start, "end": end, "entity": name,
                          "value": value if isinstance(value, str) else text[start:end]})
    return found
