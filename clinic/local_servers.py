"""The whole assistant on local ports, as `make run` starts it, for end-to-end
tests and benchmarks: action server, Rasa server with its HTTP API, and web app,
each with its own SQLite files, clinic settings and API token."""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import yaml
from sqlalchemy import create_engine, text

from clinic.database import Database
from clinic.settings import PROJECT_ROOT
from clinic.staff_accounts import StaffAccounts

ALWAYS_OPEN = {day: "00:00-23:59:59.999999" for day in
               ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
ALWAYS_CLOSED = {day: "closed" for day in ALWAYS_OPEN}

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path,
                       timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; log:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not healthy after {timeout:.0f} s; log:\n{log.read_text()}")


def start_server(command: List[str], log: Path, env: Dict[str, str]) -> subprocess.Popen:
    """Start a server in the project folder; its output goes to `log` (appended).
    The log and the files the server makes are readable by their owner only."""
    with open(log, "ab", opener=_owner_only) as output:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env},
                                stdout=output, stderr=subprocess.STDOUT, umask=0o077)


def _owner_only(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def stop_server(process: subprocess.Popen) -> None:
    """Stop it politely, and for good after 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running(command: List[str], health_url: str, log: Path, env: Dict[str, str],
            timeout: float = 180) -> Iterator[subprocess.Popen]:
    """Run a server until the block ends; its output goes to `log`."""
    with open(log, "wb", opener=_owner_only):
        pass
    process = start_server(command, log, env)
    try:
        wait_until_healthy(health_url, process, log, timeout)
        yield process
    finally:
        stop_server(process)


# As the Procfile: logs without patients' data (clinic/log_privacy.py).
LOGGING_CONFIG = "settings/logging.yml"


def action_server_command(port: int) -> List[str]:
    """On the loopback; its token (ACTION_SERVER_TOKEN) comes from the environment."""
    return [str(VENV_BIN / "python"), "-m", "clinic.action_server", "--port", str(port),
            "--logging-config-file", LOGGING_CONFIG]


def action_server_token() -> str:
    """A new token for an action server and the Rasa servers that call it."""
    return secrets.token_urlsafe(32)


def rasa_server_command(model: Path, port: int, site_origin: str,
                        endpoints: str = "endpoints.yml") -> List[str]:
    """`endpoints`: endpoints.yml (SQLite, in-memory locks) or endpoints.production.yml.
    The API token is RASA_API_TOKEN in the server's environment (clinic/rasa_server.py)."""
    return [
        str(VENV_BIN / "python"), "-m", "clinic.rasa_server", "run", "--model", str(model),
        "--endpoints", endpoints, "--credentials", "credentials.yml",
        "--interface", "127.0.0.1", "--port", str(port), "--cors", site_origin,
        "--enable-api", "--logging-config-file", LOGGING_CONFIG,
    ]


def web_app_command(port: int) -> List[str]:
    # wsproto: uvicorn's default websockets library is newer than the one Rasa pins.
    return [str(VENV_BIN / "uvicorn"), "webapp.app:app", "--host", "127.0.0.1",
            "--port", str(port), "--ws", "wsproto", "--log-config", LOGGING_CONFIG]


class ClinicSettingsFile:
    """A copy of settings/clinic.yml the servers read on every use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        shutil.copy(PROJECT_ROOT / "settings" / "clinic.yml", path)
        self._change(lambda s: s["opening_hours"].update(weekly=ALWAYS_OPEN, closed_days=[]))

    def _change(self, edit) -> None:
        data = yaml.safe_load(self.path.read_text())
        edit(data)
        self.path.write_text(yaml.safe_dump(data))

    @contextmanager
    def changed(self, edit) -> Iterator[None]:
        before = self.path.read_text()
        self._change(edit)
        try:
            yield
        finally:
            self.path.write_text(before)

    def clinic_closed(self):
        return self.changed(lambda s: s["opening_hours"].update(weekly=ALWAYS_CLOSED))

    def claim_timeout(self, minutes: float):
        return self.changed(lambda s: s["handoff"].update(claim_timeout_minutes=minutes))


@dataclass
class Stack:
    rasa_url: str
    action_server_url: str
    web_url: str
    database_url: str
    settings: ClinicSettingsFile
    api_token: str
    action_server_token: str
    env: Dict[str, str]  # the environment its servers run with
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    _staff: Dict[Tuple[str, str], "StaffBrowser"] = field(default_factory=dict)

    # The patient's side: Rasa's REST channel.
    def send(self, sender: str, message: Any) -> List[Dict[str, Any]]:
        """Post a patient's message to the REST channel; return the bot's replies."""
        return self.post_raw({"sender": sender, "message": message})

    def post_raw(self, payload: Dict[str, Any]) -> List[Dict[str, Any]]:
        status, body = http("POST", f"{self.rasa_url}/webhooks/rest/webhook", payload)
        assert status == 200, body
        return body

    def stored_events(self, sender: str) -> List[Dict[str, Any]]:
        """The conversation's events as Rasa's tracker store saved them."""
        engine = create_engine(self.database_url, future=True)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text(
                    "SELECT data FROM events WHERE sender_id = :sender ORDER BY id"),
                    {"sender": sender}).all()
        finally:
            engine.dispose()
        return [json.loads(data) for (data,) in rows]

    # The action server's webhook, called as Rasa calls it, for the contract test.
    def post_webhook(self, payload: Dict[str, Any]) -> Dict[str, Any]:
        status, body = http("POST", f"{self.action_server_url}/webhook", payload,
                            {"Authorization": f"Bearer {self.action_server_token}"})
        assert status == 200, body
        return body

    # The staff side: the web app's staff API, from a logged-in staff browser.
    def staff(self, method: str, path: str, name: Optional[str] = "Nurse Jane",
              body: Any = None, role: str = "staff") -> Tuple[int, Any]:
        """Call the staff API as the staff member with display name `name` (an
        account is made the first time), or not logged in when `name` is None."""
        url = f"{self.web_url}/api/staff{path}"
        if name is None:
            return http(method, url, body)
        if (name, role) not in self._staff:
            self._staff[name, role] = StaffBrowser.log_in(self, name, role)
        status, answer = self._staff[name, role].call(method, url, body)
        if status == 401:  # idle for longer than the session lasts: log in again
            self._staff[name, role] = self._staff[name, role].log_in_again(self)
            status, answer = self._staff[name, role].call(method, url, body)
        return status, answer


def add_staff_account(database_url: str, name: str, role: str) -> Tuple[str, str]:
    """A new account with display name `name`, a username made from it (and the
    role, unless staff) and a random password; returns (username, password)."""
    username = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    username += "" if role == "staff" else f"-{role}"
    password = secrets.token_urlsafe(18)
    database = Database(database_url)
    try:
        StaffAccounts(database).add(username, name, role, password)
    finally:
        database.engine.dispose()
    return username, password


@dataclass
class StaffBrowser:
    """A staff member's browser: an account of their own, logged in through the
    login form, the session cookie in its jar and the session's CSRF token."""
    username: str
    password: str
    opener: urllib.request.OpenerDirector
    csrf_token: str

    @classmethod
    def log_in(cls, stack: Stack, name: str, role: str) -> "StaffBrowser":
        return cls._logged_in(stack, *add_staff_account(stack.database_url, name, role))

    def log_in_again(self, stack: Stack) -> "StaffBrowser":
        return self._logged_in(stack, self.username, self.password)

    @classmethod
    def _logged_in(cls, stack: Stack, username: str, password: str) -> "StaffBrowser":
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))
        with opener.open(f"{stack.web_url}/staff/login", timeout=60) as response:
            login_form = response.read().decode()
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf": _csrf_field(login_form)}).encode()
        with opener.open(f"{stack.web_url}/staff/login", form, timeout=60) as response:
            assert response.url.endswith("/staff/"), f"login failed: {response.url}"
            home_page = response.read().decode()
        return cls(username, password, opener, _csrf_field(home_page))

    def call(self, method: str, url: str, body: Any) -> Tuple[int, Any]:
        headers = {} if method in ("GET", "HEAD") else {"X-CSRF-Token": self.csrf_token}
        return http(method, url, body, headers, self.opener)


def _csrf_field(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def http(method: str, url: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
         opener: Optional[urllib.request.OpenerDirector] = None) -> Tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@contextmanager
def running_stack(model: Path, folder: Path, database_url: str,
                  extra_env: Optional[Dict[str, str]] = None) -> Iterator[Stack]:
    """Action server, Rasa server and web app on free ports; `extra_env` adds to
    or overrides their settings (e.g. another CLINIC_CONTENT_DIR)."""
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    settings = ClinicSettingsFile(folder / "clinic.yml")
    token, actions_token = secrets.token_urlsafe(24), action_server_token()
    # The web app's clinic page is the website the chat widget runs on.
    site_origin = f"http://127.0.0.1:{web_port}"
    env = {
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "ACTION_SERVER_TOKEN": actions_token,
        "DATABASE_URL": database_url,
        "CLINIC_SETTINGS_FILE": str(settings.path),
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_API_TOKEN": token,
        "RASA_CORS_ORIGINS": site_origin,
        "WEB_PUBLIC_URL": site_origin,
        "WIDGET_SOCKET_URL": f"http://127.0.0.1:{rasa_port}",
        # Plain http on localhost: a Secure cookie would never be sent back.
        "STAFF_COOKIE_SECURE": "false",
        # The folder its Rasa server loads models from: the model's.
        "MODELS_DIR": str(model.parent),
        **(extra_env or {}),
    }
    servers_to_start = {
        "action server": (action_server_command(action_port),
                          f"http://127.0.0.1:{action_port}/health"),
        "Rasa server": (rasa_server_command(model, rasa_port, site_origin),
                        f"http://127.0.0.1:{rasa_port}/"),
        "web app": (web_app_command(web_port), f"http://127.0.0.1:{web_port}/health"),
    }
    with ExitStack() as servers:
        processes = {
            name: servers.enter_context(
                running(command, health, folder / f"{name.replace(' ', '-')}.log", env))
            for name, (command, health) in servers_to_start.items()
        }
        yield Stack(
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            action_server_url=f"http://127.0.0.1:{action_port}",
            web_url=f"http://127.0.0.1:{web_port}",
            database_url=database_url,
            settings=settings, api_token=token, action_server_token=actions_token, env=env,
            processes=processes,
        )


@contextmanager
def another_rasa_server(stack: Stack, model: Path, port: int, log: Path,
                        site_origin: str) -> Iterator[str]:
    """One more Rasa server beside the stack's, on its action server, database and
    settings, for a chat widget on `site_origin` (e.g. to stop and restart under
    a connected chat); yields its URL."""
    url = f"http://127.0.0.1:{port}"
    with running(rasa_server_command(model, port, site_origin),
                 f"{url}/", log, {**stack.env, "RASA_CORS_ORIGINS": site_origin}):
        yield url
