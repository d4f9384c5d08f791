"""The scaled deployment's own Redis on this machine (`make run-scaled`, its
tests): Debian's redis-server on the loopback with a password, as a clinic's
production Redis has one (docs/deployment.md). The machine's
shared Redis has none: whoever reaches it could take conversations' locks and
send patients messages through the chat's channel.

The password is made once into a file only its owner can read (like the Rasa
API token); redis-server reads it from a config file (0600), never from its
command line, which every user's process list shows. The servers get it in
REDIS_URL and PATIENT_SOCKET_REDIS_URL, in their environment."""
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import redis

from clinic.local_servers import free_port, start_server, stop_server
from clinic.secret_files import create_secret, read_secret, write_secret
from clinic.system_programs import ProgramMissing, find_program

# Debian's package installs it in /usr/bin; /usr/sbin on some systems.
REDIS_PLACES = ("redis-server", "/usr/sbin/redis-server")
INSTALL_HINT = ("redis-server is not installed; the scaled deployment runs its own Redis. "
                "Install Debian's package: sudo apt-get install -y redis-server")
HOST = "127.0.0.1"
DATABASE = 1


class RedisMissing(ProgramMissing):
    pass


@dataclass(frozen=True)
class OwnRedis:
    port: int
    password: str

    def url(self, port: Optional[int] = None) -> str:
        """Its URL with the password (through a proxy at `port` if given)."""
        return f"redis://:{self.password}@{HOST}:{port or self.port}/{DATABASE}"


def redis_binary() -> str:
    return find_program(REDIS_PLACES, RedisMissing(INSTALL_HINT))


def password(path: Path) -> str:
    """The password in `path`, made there first if it isn't yet."""
    create_secret(path, secrets.token_urlsafe(32) + "\n")
    return read_secret(path)


def _config(folder: Path, port: int, secret: str) -> str:
    # No snapshots: it holds locks' tickets only, which live seconds.
    return "\n".join([
        f"bind {HOST}", f"port {port}", "protected-mode yes", f"requirepass {secret}",
        'save ""', "appendonly no", f"dir {folder.resolve()}", 'logfile ""', ""])


@contextmanager
def running_redis(folder: Path, password_file: Path, timeout: float = 30) -> Iterator[OwnRedis]:
    """redis-server until the block ends, its config and log in `folder`."""
    binary = redis_binary()
    own = OwnRedis(free_port(), password(password_file))
    config = folder / "redis.conf"
    write_secret(config, _config(folder, own.port, own.password))
    log = folder / "redis.log"
    process = start_server([binary, str(config.resolve())], log, {})
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with redis.Redis(HOST, own.port, password=own.password,
                                 socket_connect_timeout=2) as client:
                    client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start; see {log}") from None
                time.sleep(0.2)
        yield own
    finally:
        stop_server(process)
