"""Staff console sessions, kept on the server.

The browser holds a random 256-bit token (the `clinic_staff_session` cookie);
the table keeps only its SHA-256 hash, so a copy of the database logs nobody in.
Each session has its own CSRF token for the pages' forms and the API's
`X-CSRF-Token` header. A session ends at logout, after the idle timeout
(STAFF_IDLE_TIMEOUT_MINUTES), 12 hours after login however active, and when its
account is disabled or its password reset.

Only what staff do counts as activity: a page's background refresh (see
webapp/staff_auth.py) checks the session without marking it as used, so an
open page that updates itself does not keep an unattended screen logged in.
A session that ended after the idle timeout stays in the table, refused, until
the next login clears it: every page still open can say why it stopped.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

from sqlalchemy import delete, or_, select

from clinic.database import Database, as_utc, utc_now
from clinic.staff import Staff
from clinic.staff_accounts import StaffAccount, StaffSession

ABSOLUTE_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class LoggedIn:
    staff: Staff
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffSessions:
    def __init__(self, database: Database, idle_timeout: timedelta,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._session = database.session
        self._idle_timeout = idle_timeout
        self._clock = clock

    def start(self, staff: Staff) -> str:
        """A new session for `staff`; returns the token for the browser's cookie."""
        token, now = secrets.token_urlsafe(32), self._clock()
        with self._session() as session:
            # Sessions nobody came back to: cleared here rather than by a timer.
            session.execute(delete(StaffSession).where(or_(
                StaffSession.last_seen_at < now - self._idle_timeout,
                StaffSession.created_at < now - ABSOLUTE_LIFETIME)))
            session.add(StaffSession(token_hash=_hash(token), staff_id=staff.id,
                                     csrf_token=secrets.token_urlsafe(32),
                                     created_at=now, last_seen_at=now))
        return token

    def find(self, token: str, activity: bool = True) -> Optional[LoggedIn]:
        """The session's staff member, if it is still valid; for `activity` (not
        a background refresh), marks it as just used."""
        now = self._clock()
        with self._session() as session:
            found = session.execute(
                select(StaffSession, StaffAccount)
                .join(StaffAccount, StaffSession.staff_id == StaffAccount.id)
                .where(StaffSession.token_hash == _hash(token))
            ).first()
            if found is None:
                return None
            staff_session, account = found
            if self._idle(staff_session, now):
                return None
            created = as_utc(staff_session.created_at)
            if (not account.active
                    or created < as_utc(account.password_changed_at)
                    or now - created > ABSOLUTE_LIFETIME):
                session.delete(staff_session)
                return None
            if activity:
                staff_session.last_seen_at = now
            return LoggedIn(account.as_staff(), staff_session.csrf_token)

    def ended_idle(self, token: str) -> bool:
        """Whether the token's session ended after the idle timeout."""
        with self._session() as session:
            staff_session = session.scalars(
                select(StaffSession).where(StaffSession.token_hash == _hash(token))).first()
            return staff_session is not None and self._idle(staff_session, self._clock())

    def _idle(self, staff_session: StaffSession, now: datetime) -> bool:
        return now - as_utc(staff_session.last_seen_at) > self._idle_timeout

    def end(self, token: str) -> None:
        with self._session() as session:
            session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))
