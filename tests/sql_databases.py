"""A fresh database for each test, once on SQLite and once on PostgreSQL
(skipped, or failed with REQUIRE_SERVICES=1, without PostgreSQL)."""
import pytest

from clinic.database import Database
from tests.services import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'conversations.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def database(database_url):
    """The clinic's tables on it (clinic/database.py)."""
    database = Database(database_url)
    yield database
    database.engine.dispose()
