"""Shared fixtures: the trained model and the whole assistant (see
clinic/local_servers.py), started once per run."""
import os
from pathlib import Path
from typing import Iterator

import pytest

from clinic import model_build
from clinic.local_servers import Stack, running_stack
from tests.limited_server import limited_rasa_server as limited_server
from tests.services import fresh_postgres_database


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make train` built for the current data (make test sets RASA_MODEL)."""
    path = Path(os.environ.get("RASA_MODEL") or model_build.model_path())
    if not path.exists():
        pytest.fail(f"No trained model at {path}: run `make train` first (make test does).")
    return path


@pytest.fixture(scope="session")
def sqlite_stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("stack-sqlite")
    with running_stack(trained_model, folder, f"sqlite:///{folder / 'conversations.db'}") as stack:
        yield stack


@pytest.fixture(scope="session")
def postgres_stack(trained_model: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with fresh_postgres_database() as database_url:
        folder = tmp_path_factory.mktemp("stack-postgres")
        with running_stack(trained_model, folder, database_url) as stack:
            yield stack


@pytest.fixture(scope="session")
def rasa_server(sqlite_stack: Stack) -> Stack:
    return sqlite_stack


@pytest.fixture(scope="session")
def limited_rasa_server(sqlite_stack: Stack, trained_model: Path,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a second Rasa server with small limits (tests/limited_server.py)."""
    with limited_server(sqlite_stack, trained_model, tmp_path_factory.mktemp("limited")) as url:
        yield url


@pytest.fixture(scope="session")
def action_server(sqlite_stack: Stack) -> Stack:
    return sqlite_stack


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """Each test using it runs against SQLite and against PostgreSQL."""
    return request.getfixturevalue(f"{'postgres' if request.param == 'postgresql' else 'sqlite'}_stack")
