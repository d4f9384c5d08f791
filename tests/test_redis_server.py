"""The scaled deployment's own Redis (clinic/redis_server.py), tried from
outside as an attacker on this machine would: without the password, with a
wrong one, on another loopback address, and through the process list."""
import stat
from pathlib import Path

import pytest
import redis

from clinic.redis_server import HOST, RedisMissing, redis_binary, running_redis
from tests.services import unavailable


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    try:
        redis_binary()
    except RedisMissing as missing:
        unavailable("redis-server", str(missing))
    folder = tmp_path_factory.mktemp("redis")
    with running_redis(folder, folder / "secret" / "redis-password") as own:
        yield folder, own


def test_it_refuses_every_command_without_its_password(own_redis):
    _, own = own_redis
    for password in (None, "guessed", own.password[:-1]):
        with redis.Redis(HOST, own.port, password=password) as client:
            with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
                client.publish("clinic-chat-anything", "{}")
            with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
                client.set("clinic:lock:someone:ticket:1", "1")
    with redis.Redis.from_url(own.url()) as client:
        assert client.ping()


def test_it_listens_on_the_loopback_address_only(own_redis):
    _, own = own_redis
    with redis.Redis("127.0.0.2", own.port, password=own.password,
                     socket_connect_timeout=2) as client:
        with pytest.raises(redis.ConnectionError):
            client.ping()


def test_its_password_is_readable_by_its_owner_only_and_in_no_command_line(own_redis):
    folder, own = own_redis
    for secret in (folder / "secret" / "redis-password", folder / "redis.conf"):
        assert own.password in secret.read_text()
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert own.password.encode() not in cmdline.read_bytes()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # gone meanwhile


def test_its_password_is_made_once_and_kept(own_redis, tmp_path):
    folder, own = own_redis
    with running_redis(tmp_path, folder / "secret" / "redis-password") as again:
        assert again.password == own.password and again.port != own.port
