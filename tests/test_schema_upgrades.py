"""A database made by the version before issue 23 (staff accounts with a lock-out,
claims by display name) keeps working once the clinic's servers start on it
(clinic/schema_upgrades.py), on SQLite and on PostgreSQL."""
from sqlalchemy import (Boolean, Column, DateTime, Integer, MetaData, String, Table, Text,
                        create_engine, inspect)

from clinic.database import Database, utc_now
from clinic.handoff_store import HandoffStore
from clinic.passwords import hash_password
from clinic.staff_accounts import LoginOutcome, StaffAccounts
from tests.sql_databases import database_url  # noqa: F401 (a fixture)

PASSWORD = "correct horse battery staple"

# The two tables as that version made them.
BEFORE = MetaData()
Table("staff_accounts", BEFORE,
      Column("id", Integer, primary_key=True),
      Column("username", String(50), nullable=False, unique=True),
      Column("display_name", String(100), nullable=False),
      Column("role", String(20), nullable=False),
      Column("password_hash", String(255), nullable=False),
      Column("password_changed_at", DateTime(timezone=True), nullable=False),
      Column("failed_logins", Integer, nullable=False),
      Column("locked_until", DateTime(timezone=True)),
      Column("active", Boolean, nullable=False),
      Column("created_at", DateTime(timezone=True), nullable=False))
Table("handoff_requests", BEFORE,
      Column("id", Integer, primary_key=True),
      Column("conversation_id", String(255), nullable=False),
      Column("reason", String(100), nullable=False),
      Column("urgent", Boolean, nullable=False),
      Column("status", String(20), nullable=False),
      Column("claimed_by", String(100)),
      Column("summary", Text, nullable=False),
      Column("created_at", DateTime(timezone=True), nullable=False),
      Column("claimed_at", DateTime(timezone=True)),
      Column("closed_at", DateTime(timezone=True)),
      Column("callback_offered", Boolean, nullable=False))


def columns(database: Database, table: str) -> set:
    return {column["name"] for column in inspect(database.engine).get_columns(table)}


def test_an_older_database_is_upgraded_and_keeps_its_accounts_and_requests(database_url):
    engine = create_engine(database_url, future=True)
    BEFORE.create_all(engine)
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(BEFORE.tables["staff_accounts"].insert().values(
            username="jane", display_name="Nurse Jane", role="staff",
            password_hash=hash_password(PASSWORD), password_changed_at=now, failed_logins=5,
            locked_until=now, active=True, created_at=now))
        for status, claimed_by in [("claimed", "Nurse Jane"), ("waiting", None)]:
            connection.execute(BEFORE.tables["handoff_requests"].insert().values(
                conversation_id=f"patient-{status}", reason="patient asked", urgent=False,
                status=status, claimed_by=claimed_by, summary="{}", created_at=now,
                callback_offered=False))
    engine.dispose()

    database = Database(database_url)
    Database(database_url).engine.dispose()  # a second server starting on it: nothing to do
    try:
        accounts, handoffs = StaffAccounts(database), HandoffStore(database)
        kim = accounts.add("kim", "Nurse Kim", "staff", PASSWORD)  # refused before the upgrade
        jane = accounts.authenticate("jane", PASSWORD)
        claimed_before, waiting = handoffs.active_requests()
        claimed_now = handoffs.claim(waiting["id"], kim)

        assert not {"failed_logins", "locked_until"} & columns(database, "staff_accounts")
        assert jane.outcome is LoginOutcome.OK
        # Claimed before the upgrade: shown as it was, no account may reply but anyone
        # may hand it back (webapp/staff_api.py).
        assert (claimed_before["claimed_by"], claimed_before["claimed_by_id"]) == (
            "Nurse Jane", None)
        assert (claimed_now["claimed_by"], claimed_now["claimed_by_id"]) == ("Nurse Kim", kim.id)
    finally:
        database.engine.dispose()
