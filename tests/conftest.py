"""Shared fixtures: the trained model and the whole assistant (see
clinic/local_servers.py), started once per run."""
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from clinic import model_build, model_signing
from clinic.model_metadata import ModelMetadata, file_sha256
from clinic.local_servers import Stack, running_stack
from tests.limited_server import limited_rasa_server as limited_server
from tests.services import fresh_postgres_database


@pytest.fixture(scope="session", autouse=True)
def model_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tests' servers load models signed with a key of the test run's own
    (clinic/model_signing.py), from its own models folder; models the tests
    train are signed with it."""
    folder = tmp_path_factory.mktemp("model-signing")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("MODEL_SIGNING_KEY_FILE", str(folder / "model-signing-key"))
        environment.setenv("MODELS_DIR", str(folder / "models"))
        yield folder / "model-signing-key"


@pytest.fixture(scope="session")
def trained_model(model_signing_key: Path) -> Path:
    """The model `make train` built for the current data (make test sets RASA_MODEL),
    copied into the test run's models folder and signed there, as training does."""
    path = Path(os.environ.get("RASA_MODEL") or model_build.model_path())
    metadata = ModelMetadata.read(path) if path.exists() else None
    if metadata is None:
        pytest.fail(f"No trained model at {path}: run `make train` first (make test does).")
    models = model_signing_key.parent / "models"
    models.mkdir()
    copy = Path(shutil.copy(path, models / path.name))
    model_signing.signed(replace(metadata, model_sha256=file_sha256(copy)), copy).write(copy)
    return copy


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
