"""External services the tests use: skipped when absent, unless REQUIRE_SERVICES=1."""
import asyncio
import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import aio_pika
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def unavailable(service: str, why: str) -> None:
    message = f"{service} is not reachable ({why})"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}; REQUIRE_SERVICES=1 requires it")
    pytest.skip(f"{message}; set REQUIRE_SERVICES=1 to fail instead of skipping")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test run; dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    name = f"clinic_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL}", str(error).splitlines()[0])
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def fresh_rabbitmq_queue() -> Iterator[str]:
    """A new RabbitMQ queue name for one test run; the queue (which Rasa declares
    durable and binds to its fanout exchange, so it would fill for ever) is
    deleted afterwards."""
    name = f"clinic_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_delete_queue(name))
    except (OSError, aio_pika.exceptions.AMQPError) as error:
        unavailable("RabbitMQ at TEST_RABBITMQ_URL", repr(error))
    try:
        yield name
    finally:
        asyncio.run(_delete_queue(name))


async def _delete_queue(name: str) -> None:
    connection = await aio_pika.connect(RABBITMQ_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)
