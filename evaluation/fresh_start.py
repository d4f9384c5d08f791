"""How long a newcomer waits from a fresh clone to the assistant's first answer.

    python -m evaluation.fresh_start [--keep]

Clones this checkout's HEAD into a temporary folder and starts `make run` there
as a newcomer would: no pip cache and none of this machine's local package
mirrors (pip's config files are skipped), an empty npm cache, free ports, and
the Makefile's embedded defaults for everything else. It reads make's output
(kept in make-run.log in the temporary folder) for the moments each phase ends,
and asks the REST channel about prolotherapy every second until the answer names
osteoarthritis. It prints each phase's duration, the total from the clone to that
first answer and whether it is within the goal; then it stops the servers (also
on an error or Ctrl-C) and removes the folder unless --keep is given.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Dict, List

from clinic.local_servers import free_port

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 6 * 60
GIVE_UP_SECONDS = 30 * 60
QUESTION = {"sender": "fresh-start", "message": "What does prolotherapy treat?"}
EXPECTED = "osteoarthritis"
# Each phase of `make run` ends at the first line of its output with this text
# (make's echo of the next command, or a program's own message), in this order;
# Rasa's message ends with a full stop, which make's hint about it lacks.
PHASES = [
    ("install: venv and locked packages", "-m clinic.sentence_encoder_export"),
    ("install: sentence model conversion", "Sentence encoder converted to"),
    ("training", "Your Rasa model is trained and saved"),
    ("model signing and metadata", "cd widget && npm ci"),
    ("widget: npm ci and build", "Starting the assistant."),
    ("servers start: Rasa up", "Rasa server is up and running."),
]


class MakeOutput:
    """make's output, line by line into a log, noting when each phase ends."""

    def __init__(self, process: subprocess.Popen, log: Path):
        self.process, self.log = process, log
        self.seen: Dict[str, float] = {}
        self.server_pids: List[int] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.log, "w") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                started = re.search(r"started \(pid=(\d+)\)", line)
                if started:
                    self.server_pids.append(int(started.group(1)))
                for name, marker in PHASES:
                    if name not in self.seen and marker in line:
                        self.seen[name] = time.monotonic()


def clone(target: Path) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(target)],
                   check=True)
    subprocess.run(["git", "checkout", "--quiet", head], cwd=target, check=True)


def makefile_variables() -> List[str]:
    """The names the Makefile gives defaults to (`NAME ?= ...`)."""
    return re.findall(r"^([A-Z0-9_]+) \?=", (ROOT / "Makefile").read_text(), re.MULTILINE)


def newcomer_environment(temp: Path, ports: Dict[str, int]) -> Dict[str, str]:
    # Not the settings of whoever runs this (nor of an outer `make`), nor a local wheel folder.
    dropped = set(makefile_variables()) | {"PIP_FIND_LINKS", "VIRTUAL_ENV", "MAKEFLAGS",
                                            "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    (temp / "npm-cache").mkdir()
    env.update({name: str(port) for name, port in ports.items()})
    env.update({
        "PIP_NO_CACHE_DIR": "1",
        "PIP_CONFIG_FILE": os.devnull,
        "npm_config_cache": str(temp / "npm-cache"),
        "WIDGET_SOCKET_URL": f"http://localhost:{ports['RASA_PORT']}",
        "WEB_PUBLIC_URL": f"http://localhost:{ports['WEB_PORT']}",
        "RASA_CORS_ORIGINS": f"http://localhost:{ports['WEB_PORT']}",
        # So that each line reaches us when it is written, not when a buffer fills.
        "PYTHONUNBUFFERED": "1",
    })
    return env


def start_make_run(clinic: Path, env: Dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(["make", "run"], cwd=clinic, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def answer(rasa_port: int) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
        data=json.dumps(QUESTION).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return " ".join(reply.get("text", "") for reply in json.load(response))


def wait_for_first_answer(process: subprocess.Popen, rasa_port: int, log: Path) -> float:
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while process.poll() is None and time.monotonic() < give_up:
        try:
            if EXPECTED in answer(rasa_port).lower():
                return time.monotonic()
        except (OSError, ValueError):
            pass
        time.sleep(1)
    last_lines = "".join(log.read_text().splitlines(keepends=True)[-30:])
    problem = (f"make run exited with {process.returncode}" if process.poll() is not None
               else f"no answer after {GIVE_UP_SECONDS / 60:.0f} min")
    raise RuntimeError(f"{problem}; the end of its output:\n{last_lines}")


def stop(process: subprocess.Popen, server_pids: List[int]) -> None:
    """SIGINT to make's process group (a Ctrl-C), SIGTERM if it lingers; then SIGTERM
    to any server honcho started (each in a session of its own) that outlived it."""
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 20), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    for pid in server_pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass


def report(started: float, cloned: float, seen: Dict[str, float], answered: float) -> None:
    print(f"  {'clone':<38} {cloned - started:7.1f} s")
    previous = cloned
    for name, _ in PHASES:
        if name in seen:
            print(f"  {name:<38} {seen[name] - previous:7.1f} s")
            previous = seen[name]
        else:
            print(f"  {name:<38}     not seen")
    print(f"  {'first answer':<38} {answered - previous:7.1f} s")
    total = answered - started
    verdict = "within" if total <= GOAL_SECONDS else "over"
    print(f"Total, clone to first answer: {total:.1f} s ({total / 60:.1f} min), "
          f"{verdict} the goal of {GOAL_SECONDS / 60:.0f} min")


def measure(temp: Path) -> None:
    ports = {name: free_port() for name in ("RASA_PORT", "WEB_PORT", "ACTION_SERVER_PORT")}
    env = newcomer_environment(temp, ports)
    print(f"Load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    started = time.monotonic()
    clone(temp / "clinic")
    cloned = time.monotonic()
    process = start_make_run(temp / "clinic", env)
    output = MakeOutput(process, temp / "make-run.log")
    try:
        answered = wait_for_first_answer(process, ports["RASA_PORT"], output.log)
        report(started, cloned, dict(output.seen), answered)
        print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        stop(process, output.server_pids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (the clone and make-run.log)")
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(prefix="clinic-fresh-start-"))
    try:
        measure(temp)
    finally:
        if args.keep:
            print(f"Kept {temp} (make's output in make-run.log)")
        else:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
