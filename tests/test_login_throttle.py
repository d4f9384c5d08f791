"""Attacks on the staff login over the network: the web app under uvicorn (as
the Procfile runs it) on a temporary SQLite database, attacked from other
loopback addresses (127.0.0.x: uvicorn sees each as the client's address)."""
import http.client
import json
import re
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional

import pytest

from clinic import settings
from clinic.database import Database
from clinic.local_servers import free_port, running, web_app_command
from clinic.staff_accounts import StaffAccounts
from tests.staff_console import PASSWORD
from webapp.login_throttle import LoginThrottle

PER_ACCOUNT, PER_ADDRESS = 5, 10


class WebApp(NamedTuple):
    port: int
    pid: int
    database_url: str


class Answer(NamedTuple):
    status: int
    retry_after: Optional[str]
    location: Optional[str]


@pytest.fixture(scope="module")
def web_app(tmp_path_factory) -> Iterator[WebApp]:
    folder: Path = tmp_path_factory.mktemp("login-throttle")
    port, database_url = free_port(), f"sqlite:///{folder / 'clinic.db'}"
    database = Database(database_url)
    StaffAccounts(database).add("admin", "Ada Admin", "admin", PASSWORD)
    database.engine.dispose()
    env = {"DATABASE_URL": database_url, "RASA_URL": f"http://127.0.0.1:{free_port()}",
           "RASA_API_TOKEN": "not-used-here", "STAFF_COOKIE_SECURE": "false",
           "STAFF_FAILED_LOGINS_PER_ACCOUNT": str(PER_ACCOUNT),
           "STAFF_FAILED_LOGINS_PER_ADDRESS": str(PER_ADDRESS)}
    with running(web_app_command(port), f"http://127.0.0.1:{port}/health",
                 folder / "web-app.log", env) as process:
        yield WebApp(port, process.pid, database_url)


def log_in(web_app: WebApp, address: str, username: str, password: str,
           headers: Optional[Dict[str, str]] = None,
           ready: Optional[threading.Barrier] = None) -> Answer:
    """Fill in the login form from `address` (the connection's source address);
    with `ready`, post it when all the others are ready too."""
    connection = http.client.HTTPConnection("127.0.0.1", web_app.port, timeout=300,
                                            source_address=(address, 0))
    try:
        connection.request("GET", "/staff/login")
        form = connection.getresponse()
        token = re.search(r'name="csrf" value="([^"]+)"', form.read().decode()).group(1)
        cookie = form.getheader("set-cookie").split(";")[0]
        if ready:
            ready.wait()
        connection.request("POST", "/staff/login", urllib.parse.urlencode(
            {"username": username, "password": password, "csrf": token}), {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
            **(headers or {})})
        answer = connection.getresponse()
        answer.read()
        return Answer(answer.status, answer.getheader("retry-after"),
                      answer.getheader("location"))
    finally:
        connection.close()


def audit_log(web_app: WebApp, action: str) -> List[dict]:
    """The details of each entry with that action."""
    database = Database(web_app.database_url)
    try:
        with database.engine.connect() as connection:
            return [json.loads(details) for (details,) in connection.exec_driver_sql(
                "SELECT details FROM audit_log WHERE action = ? ORDER BY id", (action,))]
    finally:
        database.engine.dispose()


def resident_megabytes(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def test_a_flood_of_logins_is_refused_before_hashing_and_memory_stays_bounded(web_app):
    checked_before = len(audit_log(web_app, "login_failed"))
    before = resident_megabytes(web_app.pid)
    peak, flooding = [before], threading.Event()

    def watch_memory():
        while not flooding.wait(0.05):
            peak.append(resident_megabytes(web_app.pid))

    watcher = threading.Thread(target=watch_memory)
    watcher.start()
    ready = threading.Barrier(30)
    try:
        with ThreadPoolExecutor(30) as pool:
            answers = list(pool.map(lambda n: log_in(web_app, "127.0.0.3", f"nobody{n}",
                                                     "a guess", ready=ready), range(30)))
    finally:
        flooding.set()
        watcher.join()

    statuses = sorted(answer.status for answer in answers)
    assert statuses == [401] * PER_ADDRESS + [429] * (30 - PER_ADDRESS)
    assert all(int(a.retry_after) > 0 for a in answers if a.status == 429)
    # Each password checked is in the audit log; the refused ones were never checked.
    assert len(audit_log(web_app, "login_failed")) - checked_before == PER_ADDRESS
    # Two argon2id checks at a time (64 MiB each) on this machine's cores, not thirty.
    assert max(peak) - before < 400, (before, max(peak))


def test_an_attacker_elsewhere_cannot_keep_the_admin_out(web_app):
    # One address past both its limits, the X-Forwarded-For header no way round them.
    attacker = [log_in(web_app, "127.0.0.2", "admin", f"guess {n}").status
                for n in range(PER_ACCOUNT + 1)]
    attacker += [log_in(web_app, "127.0.0.2", f"user{n}", "guess").status
                 for n in range(PER_ADDRESS - PER_ACCOUNT + 1)]
    spoofed = log_in(web_app, "127.0.0.2", "admin", "guess",
                     headers={"X-Forwarded-For": "127.0.0.99"})
    # And from several other addresses, each up to its limit for the account.
    others = [log_in(web_app, f"127.0.0.{20 + address}", "admin", "guess").status
              for address in range(3) for _ in range(PER_ACCOUNT + 1)]

    admin = log_in(web_app, "127.0.0.1", "admin", PASSWORD)

    assert attacker == [401] * PER_ACCOUNT + [429] + [401] * (PER_ADDRESS - PER_ACCOUNT) + [429]
    assert spoofed.status == 429
    assert others == ([401] * PER_ACCOUNT + [429]) * 3
    assert (admin.status, admin.location) == (303, "/staff/")
    # Each throttle once in the audit log, however often it refused.
    assert [entry for entry in audit_log(web_app, "login_throttled")
            if entry["address"] == "127.0.0.2"] == [
        {"address": "127.0.0.2", "reason": "too many failed logins to this username from this "
                                           "address"},
        {"address": "127.0.0.2", "reason": "too many failed logins from this address"}]


def test_the_address_is_the_client_s_as_the_local_proxy_passes_it_on(web_app):
    # nginx (deploy/nginx.conf.j2) connects from 127.0.0.1 and appends the client's
    # address to X-Forwarded-For; whatever the client wrote before it doesn't count.
    answers = [log_in(web_app, "127.0.0.1", "admin", "guess",
                      headers={"X-Forwarded-For": f"10.0.0.{n}, 127.0.0.66"}).status
               for n in range(PER_ACCOUNT + 1)]

    admin = log_in(web_app, "127.0.0.1", "admin", PASSWORD)

    assert answers == [401] * PER_ACCOUNT + [429]
    assert admin.status == 303
    assert audit_log(web_app, "login_throttled")[-1]["address"] == "127.0.0.66"


def test_an_ipv6_client_s_addresses_count_together():
    # A subscriber picks any address in their /64: unit-tested, as loopback has one.
    throttle = LoginThrottle(clock=lambda: 0.0)
    for n in range(settings.staff_failed_logins_per_account()):
        assert throttle.admit("admin", f"2001:db8:1:2::{n + 1:x}") is None

    assert throttle.admit("admin", "2001:db8:1:2:ffff::1") is not None
    assert throttle.admit("admin", "2001:db8:1:3::1") is None
