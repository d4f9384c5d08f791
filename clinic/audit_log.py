"""The audit log: which staff member did what to which record, and when.

Append-only: this module has no way to change or remove an entry, and database
triggers, made with the table, refuse UPDATE and DELETE on it (SQLite and
PostgreSQL). Details never hold the text of a patient's or staff member's message.
"""
import json
from dataclasses import dataclass
from typing import Dict, List, Optional

from sqlalchemy import DDL, Column, DateTime, Integer, String, Text, event, func, select

from clinic.database import Base, Database, iso, utc_now
from clinic.staff import Staff

PAGE_SIZE = 100


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    # Who, as they were then (no foreign key: entries outlive any account change).
    staff_id = Column(Integer)
    username = Column(String(50))
    action = Column(String(50), nullable=False)
    target_type = Column(String(50))
    target_id = Column(String(255))
    details = Column(Text, nullable=False, default="{}")  # JSON

    def as_dict(self) -> dict:
        return {
            "id": self.id, "at": iso(self.at), "staff_id": self.staff_id,
            "username": self.username, "action": self.action,
            "target_type": self.target_type, "target_id": self.target_id,
            "details": json.loads(self.details),
        }


_REFUSAL = "the audit log is append-only"
_APPEND_ONLY_TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER audit_log_no_{change} BEFORE {change.upper()} ON audit_log "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        for change in ("update", "delete")
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
    ],
}
for _dialect, _statements in _APPEND_ONLY_TRIGGERS.items():
    for _statement in _statements:
        event.listen(AuditEntry.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))


@dataclass(frozen=True)
class AuditPage:
    number: int
    entries: List[dict]  # newest first
    has_older: bool


class AuditLog:
    def __init__(self, database: Database) -> None:
        self._session = database.session

    def record(self, action: str, staff: Optional[Staff] = None,
               target_type: Optional[str] = None, target_id: Optional[object] = None,
               details: Optional[dict] = None) -> None:
        with self._session() as session:
            session.add(AuditEntry(
                staff_id=staff.id if staff else None,
                username=staff.username if staff else None,
                action=action, target_type=target_type,
                target_id=None if target_id is None else str(target_id),
                details=json.dumps(details or {}),
            ))

    def record_view(self, staff: Staff, target_type: str, target_id: object) -> None:
        """A staff member opened a record, e.g. a conversation's transcript."""
        self.record("viewed", staff, target_type, target_id)

    def last_logins(self) -> Dict[int, str]:
        """When each staff member last logged in: staff id to time (ISO 8601)."""
        with self._session() as session:
            return {staff_id: iso(at) for staff_id, at in session.execute(
                select(AuditEntry.staff_id, func.max(AuditEntry.at))
                .where(AuditEntry.action == "login").group_by(AuditEntry.staff_id))}

    def page(self, number: int) -> AuditPage:
        """Page `number` (from 1) of the log, PAGE_SIZE entries, newest first."""
        with self._session() as session:
            entries = session.scalars(
                select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
            ).all()
            return AuditPage(number, [entry.as_dict() for entry in entries[:PAGE_SIZE]],
                             has_older=len(entries) > PAGE_SIZE)
