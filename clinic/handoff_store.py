"""Handoff and callback requests, shared by the action server and the web app.

A handoff request is a patient waiting for clinic staff in their chat; a
callback request is a patient asking to be called or emailed back. Both live in
the database the conversations are in (DATABASE_URL), through SQLAlchemy.
"""
import json
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Session

from clinic.database import Base, Database, iso, utc_now
from clinic.staff import Staff

WAITING, CLAIMED, RESOLVED, CANCELLED = "waiting", "claimed", "resolved", "cancelled"
ACTIVE = (WAITING, CLAIMED)
OPEN, DONE = "open", "done"


class HandoffRequest(Base):
    __tablename__ = "handoff_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    reason = Column(String(100), nullable=False)
    urgent = Column(Boolean, nullable=False, default=False)
    status = Column(String(20), nullable=False, default=WAITING, index=True)
    # Who claimed it: the account (to check who may reply), and its display name then (shown).
    claimed_by_id = Column(Integer)
    claimed_by = Column(String(100))
    summary = Column(Text, nullable=False, default="{}")  # JSON: messages, topics
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    claimed_at = Column(DateTime(timezone=True))
    closed_at = Column(DateTime(timezone=True))
    callback_offered = Column(Boolean, nullable=False, default=False)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "conversation_id": self.conversation_id, "reason": self.reason,
            "urgent": self.urgent, "status": self.status, "claimed_by": self.claimed_by,
            "claimed_by_id": self.claimed_by_id,
            "summary": json.loads(self.summary), "created_at": iso(self.created_at),
            "claimed_at": iso(self.claimed_at), "closed_at": iso(self.closed_at),
        }


class CallbackRequest(Base):
    __tablename__ = "callback_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    name = Column(String(100), nullable=False)
    contact = Column(String(255), nullable=False)  # phone number or email address
    best_time = Column(String(255), nullable=False)
    consent = Column(Boolean, nullable=False)
    status = Column(String(20), nullable=False, default=OPEN, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    done_by = Column(String(100))
    done_at = Column(DateTime(timezone=True))

    def as_dict(self) -> dict:
        return {
            "id": self.id, "conversation_id": self.conversation_id, "name": self.name,
            "contact": self.contact, "best_time": self.best_time, "consent": self.consent,
            "status": self.status, "created_at": iso(self.created_at),
            "done_by": self.done_by, "done_at": iso(self.done_at),
        }


@dataclass(frozen=True)
class QueuePlace:
    request: dict
    patients_ahead: int


class RequestNotFound(LookupError):
    pass


class HandoffStore:
    def __init__(self, database: Database) -> None:
        self._session = database.session

    def request_handoff(self, conversation_id: str, reason: str, urgent: bool,
                        summary: dict) -> QueuePlace:
        """Open a request, or update the conversation's active one; return its place."""
        with self._session() as session:
            # Locked: a claim-timeout callback offer can't take it out of the
            # queue while it becomes urgent.
            request = self._active(session, conversation_id, lock=True)
            if request is None:
                request = HandoffRequest(conversation_id=conversation_id, reason=reason,
                                         urgent=urgent, status=WAITING)
                session.add(request)
            request.urgent = request.urgent or urgent
            request.summary = json.dumps(summary)
            session.flush()
            return self._place(session, request)

    def place(self, conversation_id: str) -> Optional[QueuePlace]:
        """The conversation's active request and its place, if it has one."""
        with self._session() as session:
            request = self._active(session, conversation_id)
            return None if request is None else self._place(session, request)

    def _place(self, session: Session, request: HandoffRequest) -> QueuePlace:
        queue = [r.id for r in self._queue(session) if r.status == WAITING]
        ahead = queue.index(request.id) if request.id in queue else 0
        return QueuePlace(request.as_dict(), ahead)

    def mark_urgent(self, conversation_id: str, reason: str, summary: dict) -> dict:
        return self.request_handoff(conversation_id, reason, True, summary).request

    def cancel(self, conversation_id: str) -> Optional[dict]:
        with self._session() as session:
            request = self._active(session, conversation_id)
            if request is None:
                return None
            request.status, request.closed_at = CANCELLED, utc_now()
            return request.as_dict()

    def active_request(self, conversation_id: str) -> Optional[dict]:
        """The conversation's waiting or claimed request, if it has one."""
        with self._session() as session:
            request = self._active(session, conversation_id)
            return request.as_dict() if request else None

    def active_requests(self) -> List[dict]:
        """Waiting and claimed requests: urgent first, then oldest first."""
        with self._session() as session:
            return [request.as_dict() for request in self._queue(session)]

    @staticmethod
    def _queue(session: Session) -> List[HandoffRequest]:
        return session.scalars(
            select(HandoffRequest).where(HandoffRequest.status.in_(ACTIVE))
            .order_by(HandoffRequest.urgent.desc(), HandoffRequest.created_at, HandoffRequest.id)
        ).all()

    def get(self, request_id: int) -> dict:
        with self._session() as session:
            return self._by_id(session, request_id).as_dict()

    def claim(self, request_id: int, staff: Staff) -> dict:
        with self._session() as session:
            request = self._by_id(session, request_id)
            if request.status != WAITING:
                raise ValueError(f"request {request_id} is {request.status}, not waiting")
            request.status, request.claimed_at = CLAIMED, utc_now()
            request.claimed_by_id, request.claimed_by = staff.id, staff.display_name
            return request.as_dict()

    def resolve(self, request_id: int) -> dict:
        with self._session() as session:
            request = self._by_id(session, request_id)
            if request.status not in ACTIVE:
                raise ValueError(f"request {request_id} is already {request.status}")
            request.status, request.closed_at = RESOLVED, utc_now()
            return request.as_dict()

    def unclaimed_since(self, cutoff: datetime) -> List[dict]:
        """Waiting requests older than `cutoff` that haven't been offered a
        callback. Never an urgent one: an emergency stays at the top of the
        queue until a member of staff deals with it."""
        with self._session() as session:
            requests = session.scalars(
                select(HandoffRequest).where(
                    HandoffRequest.status == WAITING, HandoffRequest.created_at <= cutoff,
                    HandoffRequest.callback_offered.is_(False),
                    HandoffRequest.urgent.is_(False))
            ).all()
            return [request.as_dict() for request in requests]

    def mark_callback_offered(self, request_id: int) -> bool:
        """Take a waiting request out of the queue for a callback offer; False
        (and nothing changed) when it is no longer waiting or has become
        urgent since unclaimed_since() listed it."""
        with self._session() as session:
            request = session.scalars(
                select(HandoffRequest).where(HandoffRequest.id == request_id)
                .with_for_update()).first()
            if request is None or request.status != WAITING or request.urgent:
                return False
            request.callback_offered = True
            request.status, request.closed_at = CANCELLED, utc_now()
            return True

    def add_callback(self, conversation_id: str, name: str, contact: str, best_time: str,
                     consent: bool) -> dict:
        if not consent:
            raise ValueError("a callback request needs the patient's consent to be contacted")
        with self._session() as session:
            callback = CallbackRequest(conversation_id=conversation_id, name=name,
                                       contact=contact, best_time=best_time, consent=True)
            session.add(callback)
            session.flush()
            return callback.as_dict()

    def callbacks(self, status: str = OPEN) -> List[dict]:
        with self._session() as session:
            callbacks = session.scalars(
                select(CallbackRequest).where(CallbackRequest.status == status)
                .order_by(CallbackRequest.created_at, CallbackRequest.id)
            ).all()
            return [callback.as_dict() for callback in callbacks]

    def mark_callback_done(self, callback_id: int, staff: str) -> dict:
        with self._session() as session:
            callback = _get(session, CallbackRequest, callback_id)
            if callback is None:
                raise RequestNotFound(f"no callback request {callback_id}")
            callback.status, callback.done_by, callback.done_at = DONE, staff, utc_now()
            return callback.as_dict()

    @staticmethod
    def _active(session: Session, conversation_id: str,
                lock: bool = False) -> Optional[HandoffRequest]:
        query = select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id,
                                             HandoffRequest.status.in_(ACTIVE))
        return session.scalars(query.with_for_update() if lock else query).first()

    @staticmethod
    def _by_id(session: Session, request_id: int) -> HandoffRequest:
        request = _get(session, HandoffRequest, request_id)
        if request is None:
            raise RequestNotFound(f"no handoff request {request_id}")
        return request


def _get(session: Session, model, row_id: int):
    """The row with that id, or None; ids past a database integer's range exist
    nowhere (and SQLite refuses to look them up)."""
    return session.get(model, row_id) if 0 < row_id < 2 ** 63 else None
