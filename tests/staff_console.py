"""The staff console in the test process: the web app through FastAPI's
TestClient over https (as in production), on a temporary SQLite database,
with a clock the tests move on instead of waiting."""
import re
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from clinic.database import Database, utc_now
from clinic.staff import Staff
from clinic.staff_accounts import StaffAccounts
from webapp.app import create_app

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def hidden_csrf(page: Response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def alert(page: Response) -> str:
    """The message the login page shows, as the browser renders it."""
    found = re.search(r'role="alert"[^>]*>([^<]*)<', page.text)
    return found.group(1).replace("&#39;", "'") if found else ""


class Console:
    def __init__(self, client: TestClient, database_url: str) -> None:
        self.client = client
        self.database_url = database_url
        self.accounts: StaffAccounts = client.app.state.staff_accounts
        self.audit = client.app.state.audit_log

    def add(self, username: str, role: str = "staff", name: str = "") -> Staff:
        """An account; its display name (unique) is made from the username unless given."""
        return self.accounts.add(username, name or f"Nurse {username.title()}", role, PASSWORD)

    def log_in(self, username: str, password: str = PASSWORD) -> Response:
        form = self.client.get("/staff/login")
        return self.client.post("/staff/login", follow_redirects=False, data={
            "username": username, "password": password, "csrf": hidden_csrf(form)})

    def csrf(self) -> str:
        """The session's CSRF token, from the logout form on the console's home page."""
        return hidden_csrf(self.client.get("/staff/"))

    def is_logged_in(self) -> bool:
        return self.client.get("/staff/", follow_redirects=False).status_code == 200

    def stored(self, sql: str) -> list:
        database = Database(self.database_url)
        try:
            with database.engine.connect() as connection:
                return connection.exec_driver_sql(sql).all()
        finally:
            database.engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@contextmanager
def running_console(folder: Path, monkeypatch: pytest.MonkeyPatch,
                    clock: Clock) -> Iterator[Console]:
    database_url = f"sqlite:///{folder / 'clinic.db'}"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RASA_API_TOKEN", "not-used-here")
    for setting in ("STAFF_COOKIE_SECURE", "STAFF_IDLE_TIMEOUT_MINUTES",
                    "STAFF_FAILED_LOGINS_PER_ACCOUNT", "STAFF_FAILED_LOGINS_PER_ADDRESS",
                    "STAFF_LOGIN_THROTTLE_MINUTES"):
        monkeypatch.delenv(setting, raising=False)  # the embedded defaults
    with TestClient(create_app(clock), base_url="https://testserver") as client:
        yield Console(client, database_url)


@pytest.fixture
def console(tmp_path, monkeypatch, clock) -> Iterator[Console]:
    with running_console(tmp_path, monkeypatch, clock) as running:
        yield running
