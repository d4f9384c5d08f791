"""Start the real Rasa server and action server on local ports, for end-to-end
tests and benchmarks."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List

from clinic.settings import PROJECT_ROOT

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
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


@contextmanager
def running(command: List[str], health_url: str, log: Path, env: Dict[str, str],
            timeout: float = 180) -> Iterator[subprocess.Popen]:
    """Run a server until the block ends; its output goes to `log`."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env={**os.environ, **env},
            stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(health_url, process, log, timeout)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def action_server_command(port: int) -> List[str]:
    return [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)]


def rasa_server_command(model: Path, port: int) -> List[str]:
    return [
        str(VENV_BIN / "rasa"), "run", "--model", str(model),
        "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        "--interface", "127.0.0.1", "--port", str(port),
    ]
