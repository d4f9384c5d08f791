"""What another user of the machine could read of the running assistant: no
secret on any process's command line (/proc/<pid>/cmdline, `ps`), which every
user reads; the database, its journals and the logs readable by their owner
only; var/ made owner-only by every make target."""
import os
import shutil
import stat
import subprocess
import uuid
from pathlib import Path
from typing import Iterator, Tuple

from clinic.local_servers import http
from clinic.settings import PROJECT_ROOT


def command_lines() -> Iterator[Tuple[int, bytes]]:
    """Every process's command line on the machine, as `ps -eo args` shows them."""
    for folder in Path("/proc").iterdir():
        if folder.name.isdigit():
            try:
                yield int(folder.name), (folder / "cmdline").read_bytes()
            except OSError:  # ended meanwhile
                pass


def test_no_process_shows_the_tokens_or_database_url(sqlite_stack):
    stack = sqlite_stack
    assert stack.send(f"patient-{uuid.uuid4().hex}", "hello")  # every server at work
    secrets = [stack.api_token, stack.action_server_token, stack.database_url]

    shown = [(pid, line) for pid, line in command_lines()
             if any(secret.encode() in line for secret in secrets)]

    assert shown == []
    # The server has the token all the same: its API answers with it, and only with it.
    assert http("GET", f"{stack.rasa_url}/status?token={stack.api_token}")[0] == 200
    assert http("GET", f"{stack.rasa_url}/status?token=wrong")[0] == 401
    # Where it is instead, the environment, only the owner reads.
    for process in stack.processes.values():
        assert stat.S_IMODE(os.stat(f"/proc/{process.pid}/environ").st_mode) == 0o400


def test_the_database_its_journals_and_the_logs_are_the_owner_s_only(sqlite_stack):
    stack = sqlite_stack
    assert stack.send(f"patient-{uuid.uuid4().hex}", "hello")
    folder = Path(stack.settings.path).parent
    database = Path(stack.database_url[len("sqlite:///"):])
    files = [database, *(database.with_name(database.name + suffix)
                         for suffix in ("-wal", "-shm")), *folder.glob("*.log")]
    assert len(files) >= 6, files  # the database, its write-ahead log and index, 3 logs

    modes = {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in files}

    assert modes == {path.name: "0o600" for path in files}


def test_make_keeps_var_the_owner_s_only(tmp_path):
    shutil.copy(PROJECT_ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "var").mkdir(mode=0o755)
    (tmp_path / "var").chmod(0o755)  # as an earlier version left it

    subprocess.run(["make", "-s", "help"], cwd=tmp_path, check=True, capture_output=True)

    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700


def test_make_writes_no_database_password_into_a_command_line():
    """A recipe's text is the command line of the shell that runs it (for make
    run-scaled, as long as the servers run): settings go through the environment."""
    url = "postgresql://clinic:pa55word-in-a-url@db.example.org/clinic"
    for target in ("run", "run-scaled"):
        planned = subprocess.run(
            ["make", "-n", target, f"SCALED_DATABASE_URL={url}", f"DATABASE_URL={url}"],
            cwd=PROJECT_ROOT, check=True, capture_output=True, text=True).stdout
        assert "honcho" in planned or "scaled_deployment run" in planned
        assert "pa55word" not in planned
