"""The clinic's own database (handoffs, callbacks, staff accounts and sessions,
audit log): SQLAlchemy, SQLite by default, PostgreSQL in production. It is the
database Rasa keeps the conversations in (DATABASE_URL)."""
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator, Optional

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

from clinic import schema_upgrades

Base = declarative_base()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """A stored time with its zone: SQLite drops it, and we only ever store UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def iso(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else as_utc(moment).isoformat()


class Database:
    def __init__(self, url: str) -> None:
        # hide_parameters: errors and logs never show the values (patients' messages).
        self.engine = create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)
        Base.metadata.create_all(self.engine)
        schema_upgrades.upgrade(self.engine, Base.metadata)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on error."""
        with self._sessions.begin() as session:
            yield session
