"""The audit log keeps every entry: the database itself refuses to change or
remove one (SQLite and PostgreSQL)."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from clinic.audit_log import PAGE_SIZE, AuditLog
from clinic.database import Database
from clinic.staff import Staff
from tests.services import fresh_postgres_database

JANE = Staff(id=7, username="jane", display_name="Nurse Jane", role="staff")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'clinic.db'}")
        yield database
        database.engine.dispose()
        return
    with fresh_postgres_database() as url:
        database = Database(url)
        yield database
        database.engine.dispose()


def stored_entries(database):
    with database.engine.connect() as connection:
        return connection.execute(text(
            "SELECT username, action, target_type, target_id FROM audit_log ORDER BY id")).all()


@pytest.mark.parametrize("change", [
    "UPDATE audit_log SET action = 'nothing happened'",
    "DELETE FROM audit_log",
])
def test_the_database_refuses_to_change_or_remove_entries(database, change):
    audit = AuditLog(database)
    audit.record_view(JANE, "conversation", "a1b2c3")

    with pytest.raises(DatabaseError, match="append-only"):
        with database.engine.begin() as connection:
            connection.execute(text(change))

    assert stored_entries(database) == [("jane", "viewed", "conversation", "a1b2c3")]


def test_entries_come_newest_first_a_hundred_a_page(database):
    audit = AuditLog(database)
    for number in range(PAGE_SIZE + 5):
        audit.record("handoff_claimed", JANE, "handoff_request", number)

    first, second = audit.page(1), audit.page(2)

    assert [e["target_id"] for e in first.entries[:2]] == [str(PAGE_SIZE + 4), str(PAGE_SIZE + 3)]
    assert (len(first.entries), first.has_older) == (PAGE_SIZE, True)
    assert [e["target_id"] for e in second.entries] == ["4", "3", "2", "1", "0"]
    assert second.has_older is False
    assert first.entries[0]["username"] == "jane" and first.entries[0]["staff_id"] == 7
