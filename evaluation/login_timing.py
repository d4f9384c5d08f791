"""How long the staff login takes to refuse each kind of failure, and to accept.

    python -m evaluation.login_timing [--logins 15]

Starts the web app alone (uvicorn, SQLite, the throttle's limits out of the
way), then times logins over HTTP with an unknown username, a wrong password, a
disabled account and the right password. The failures should take as long as
each other (each checks one argon2id hash), so the timing tells nobody which
usernames exist; tests/test_staff_login.py checks the hashing itself.
"""
import argparse
import re
import statistics
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from clinic.database import Database
from clinic.local_servers import free_port, running, web_app_command
from clinic.staff_accounts import StaffAccounts

PASSWORD = "correct horse battery staple"
CASES = {"unknown username": ("nobody", PASSWORD), "wrong password": ("jane", "wrong guess 1"),
         "disabled account": ("kim", PASSWORD), "right password": ("jane", PASSWORD)}


def seconds_to_answer(url: str, username: str, password: str) -> float:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(f"{url}/staff/login", timeout=60) as response:
        token = re.search(r'name="csrf" value="([^"]+)"', response.read().decode()).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf": token}).encode()
    started = time.perf_counter()
    try:
        opener.open(f"{url}/staff/login", form, timeout=60).close()
    except urllib.error.HTTPError as error:
        error.close()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=15, help="per kind of login")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        port, database_url = free_port(), f"sqlite:///{folder / 'clinic.db'}"
        database = Database(database_url)
        accounts = StaffAccounts(database)
        accounts.add("jane", "Nurse Jane", "staff", PASSWORD)
        accounts.add("kim", "Nurse Kim", "staff", PASSWORD)
        accounts.set_active("kim", False)
        database.engine.dispose()
        env = {"DATABASE_URL": database_url, "RASA_API_TOKEN": "not-used-here",
               "STAFF_COOKIE_SECURE": "false", "STAFF_FAILED_LOGINS_PER_ACCOUNT": "100000",
               "STAFF_FAILED_LOGINS_PER_ADDRESS": "100000"}
        url = f"http://127.0.0.1:{port}"
        with running(web_app_command(port), f"{url}/health", folder / "web-app.log", env):
            times = {case: [] for case in CASES}
            for _ in range(args.logins):  # interleaved, so load changes hit every case alike
                for case, (username, password) in CASES.items():
                    times[case].append(seconds_to_answer(url, username, password) * 1000)
    print(f"{'login':<20} {'median ms':>10} {'p10 ms':>8} {'p90 ms':>8}")
    for case, measured in times.items():
        deciles = statistics.quantiles(measured, n=10)
        print(f"{case:<20} {statistics.median(measured):>10.0f} {deciles[0]:>8.0f} "
              f"{deciles[-1]:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
