"""Shared fixtures: the trained model and the real servers, started once per run."""
import json
import os
import sqlite3
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from clinic import model_build
from clinic.local_servers import action_server_command, free_port, rasa_server_command, running


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make train` built for the current data (make test sets RASA_MODEL)."""
    path = Path(os.environ.get("RASA_MODEL") or model_build.model_path())
    if not path.exists():
        pytest.fail(f"No trained model at {path}: run `make train` first (make test does).")
    return path


@dataclass
class ActionServer:
    url: str

    def post_webhook(self, payload: Dict[str, Any]) -> Dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/webhook", data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)


@dataclass
class RasaServer:
    url: str
    tracker_db: Path

    def send(self, sender: str, message: Any) -> List[Dict[str, Any]]:
        """Post a patient's message to the REST channel; return the bot's replies."""
        return self.post_raw({"sender": sender, "message": message})

    def post_raw(self, payload: Dict[str, Any]) -> List[Dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            return json.load(response)

    def stored_events(self, sender: str) -> List[Dict[str, Any]]:
        """The conversation's events as the tracker store saved them in SQLite."""
        with sqlite3.connect(self.tracker_db) as connection:
            rows = connection.execute(
                "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
            ).fetchall()
        return [json.loads(data) for (data,) in rows]


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "action-server.log"
    with running(action_server_command(port), f"http://127.0.0.1:{port}/health", log, env={}):
        yield ActionServer(url=f"http://127.0.0.1:{port}")


@pytest.fixture(scope="session")
def rasa_server(
    trained_model: Path, action_server: ActionServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RasaServer]:
    port = free_port()
    folder = tmp_path_factory.mktemp("rasa")
    tracker_db = folder / "conversations.db"
    env = {
        "ACTION_ENDPOINT_URL": f"{action_server.url}/webhook",
        "TRACKER_SQLITE_PATH": str(tracker_db),
    }
    with running(rasa_server_command(trained_model, port), f"http://127.0.0.1:{port}/",
                 folder / "rasa-server.log", env=env):
        yield RasaServer(url=f"http://127.0.0.1:{port}", tracker_db=tracker_db)
