"""Changes to tables that databases made by an earlier version already have:
SQLAlchemy's create_all (clinic/database.py) makes the missing tables and never
changes existing ones. Each change checks the table first, so it is made once;
one that another process (the web app, the action server) made meanwhile
counts as done. SQLite (3.35 or later) and PostgreSQL."""
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

# (table, column, its type): added where missing.
ADDED = [
    ("handoff_requests", "claimed_by_id", "INTEGER"),  # claims by account, not display name
]
# (table, column): dropped where present.
DROPPED = [
    # The old lock-out; failed_logins is NOT NULL without a database default,
    # so no account could be added while it remains.
    ("staff_accounts", "failed_logins"),
    ("staff_accounts", "locked_until"),
]


def upgrade(engine: Engine, metadata: MetaData) -> None:
    """Make the changes to the tables of `metadata` (the ones this process uses)."""
    for table, column, kind in ADDED:
        if table in metadata.tables:
            _alter(engine, table, column, False, f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    for table, column in DROPPED:
        if table in metadata.tables:
            _alter(engine, table, column, True, f"ALTER TABLE {table} DROP COLUMN {column}")


def _has_column(engine: Engine, table: str, column: str) -> bool:
    return column in {found["name"] for found in inspect(engine).get_columns(table)}


def _alter(engine: Engine, table: str, column: str, present: bool, statement: str) -> None:
    """Run `statement` when the column is `present` (or isn't)."""
    if _has_column(engine, table, column) != present:
        return
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
    except DBAPIError:
        if _has_column(engine, table, column) == present:
            raise  # not done by another process meanwhile
