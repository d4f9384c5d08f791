"""Staff members and their API tokens.

    python -m clinic.staff_accounts add "Nurse Jane"   # prints the new token once

Tokens are random (256 bits) and stored only as SHA-256 hashes, so a copy of
the database doesn't give access.
"""
import hashlib
import secrets
import sys
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, select

from clinic import settings
from clinic.database import Base, Database, utc_now


class StaffMember(Base):
    __tablename__ = "staff_members"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)


@dataclass(frozen=True)
class Staff:
    id: int
    name: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffAccounts:
    def __init__(self, database: Database) -> None:
        self._session = database.session

    def add(self, name: str) -> str:
        """Create a staff member; return their token (shown once, never stored)."""
        name = name.strip()
        if not name:
            raise ValueError("a staff member needs a name")
        token = secrets.token_urlsafe(32)
        with self._session() as session:
            if session.scalars(select(StaffMember).where(StaffMember.name == name)).first():
                raise ValueError(f"there is already a staff member called {name!r}")
            session.add(StaffMember(name=name, token_hash=_hash(token)))
        return token

    def authenticate(self, token: str) -> Optional[Staff]:
        with self._session() as session:
            member = session.scalars(
                select(StaffMember).where(StaffMember.token_hash == _hash(token))
            ).first()
            return Staff(member.id, member.name) if member else None


def main(arguments: list) -> int:
    if len(arguments) != 2 or arguments[0] != "add":
        print(__doc__, file=sys.stderr)
        return 2
    try:
        token = StaffAccounts(Database(settings.database_url())).add(arguments[1])
    except ValueError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 1
    print(f"Staff member {arguments[1].strip()!r} added. Their API token (shown only now):")
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
