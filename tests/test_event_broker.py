"""Conversation events to RabbitMQ (clinic/event_broker.py: Rasa's own pika event
broker, on when RABBITMQ_URL is set) against the real RabbitMQ and a real Rasa
server with its action server, started once with a fresh queue. Rasa reaches
RabbitMQ through a proxy the test can cut (tests/tcp_proxy.py), as RabbitMQ
going down would; the test reads the queue with aio_pika, as a consumer would.
"""
import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple
from urllib.parse import urlsplit

import aio_pika
import pytest

from clinic.event_broker import broker_address
from clinic.local_servers import Stack, running_stack
from tests.services import RABBITMQ_URL, fresh_rabbitmq_queue
from tests.tcp_proxy import CuttableProxy


class BrokerStack(NamedTuple):
    stack: Stack
    proxy: CuttableProxy
    queue: str
    log: Path


@pytest.fixture(scope="module")
def broker_stack(trained_model: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerStack]:
    rabbitmq = urlsplit(RABBITMQ_URL)
    with fresh_rabbitmq_queue() as queue, \
            CuttableProxy(rabbitmq.hostname, rabbitmq.port or 5672) as proxy:
        through_proxy = rabbitmq._replace(
            netloc=f"{rabbitmq.netloc.rpartition('@')[0]}@127.0.0.1:{proxy.port}").geturl()
        folder = tmp_path_factory.mktemp("event-broker")
        with running_stack(trained_model, folder, f"sqlite:///{folder / 'conversations.db'}",
                           extra_env={"RABBITMQ_URL": through_proxy,
                                      "RABBITMQ_QUEUE": queue}) as stack:
            yield BrokerStack(stack, proxy, queue, folder / "Rasa-server.log")


def conversation_events(queue: str, sender: str, count: int,
                        timeout: float = 60) -> List[Dict[str, Any]]:
    """The first `count` events of `sender`'s conversation the queue holds (taken
    off it), in the queue's order; fewer when they don't arrive within `timeout`."""
    return asyncio.run(_conversation_events(queue, sender, count, timeout))


async def _conversation_events(queue_name: str, sender: str, count: int,
                               timeout: float) -> List[Dict[str, Any]]:
    events: List[Dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    async with await aio_pika.connect(RABBITMQ_URL, timeout=10) as connection:
        queue = await (await connection.channel()).get_queue(queue_name)
        while len(events) < count and time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.2)
            elif (event := json.loads(message.body))["sender_id"] == sender:
                events.append(event)
    return events


def summary(event: Dict[str, Any]) -> tuple:
    return event["event"], event.get("name"), event.get("text")


def test_every_event_of_a_conversation_reaches_the_queue_in_order(broker_stack):
    stack, queue = broker_stack.stack, broker_stack.queue
    sender = f"broker-{time.time_ns()}"
    replies = stack.send(sender, "What does prolotherapy treat?")
    assert replies and all(reply.get("text") for reply in replies)

    stored = stack.stored_events(sender)
    published = conversation_events(queue, sender, len(stored))
    # Exactly what the tracker store saved, in the same order: the patient's
    # message, then the actions and the replies the patient got.
    assert [summary(event) for event in published] == [summary(event) for event in stored]
    said = [event for event in published if event["event"] in ("user", "bot")]
    assert said[0]["event"] == "user" and said[0]["text"] == "What does prolotherapy treat?"
    assert [event["event"] for event in said[1:]] == ["bot"] * (len(said) - 1)
    # Rasa's REST channel sends a reply's paragraphs as separate messages.
    assert "\n\n".join(event["text"] for event in said[1:]) == \
        "\n\n".join(reply["text"] for reply in replies)
    # The published user event carries what NLU understood, for analytics.
    assert said[0]["parse_data"]["intent"]["name"] == "ask_conditions"
    # Rasa logs the broker's address, never with the password in it.
    written = broker_stack.log.read_text(errors="replace")
    assert f"RabbitMQ connection to 'amqp://127.0.0.1:{broker_stack.proxy.port}/' " \
           "was established" in written
    assert f":{broker_address(RABBITMQ_URL).password}@" not in written


def test_patients_get_answers_while_rabbitmq_is_down_and_the_events_follow(broker_stack):
    stack, proxy, queue = broker_stack.stack, broker_stack.proxy, broker_stack.queue
    sender = f"broker-outage-{time.time_ns()}"
    before = stack.send(f"broker-before-{time.time_ns()}", "How long does it take?")
    proxy.cut()
    try:
        started = time.monotonic()
        replies = stack.send(sender, "How long does it take?")
        elapsed = time.monotonic() - started
        # Answered as usual, and not held up waiting for RabbitMQ.
        assert [reply["text"] for reply in replies] == [reply["text"] for reply in before]
        assert elapsed < 20, f"the answer took {elapsed:.1f} s with RabbitMQ down"
        assert conversation_events(queue, sender, 1, timeout=3) == []
    finally:
        proxy.restore()

    # The Rasa server kept the events in memory and publishes them once it is
    # connected again (it retries every 5 s); their order may change.
    stored = stack.stored_events(sender)
    published = conversation_events(queue, sender, len(stored), timeout=90)
    assert Counter(map(summary, published)) == Counter(map(summary, stored))
    # Rasa logged each event it couldn't publish, without the patient's message
    # (the page's section "How Long Does It Take" may be named).
    written = broker_stack.log.read_text(errors="replace")
    assert "pika.events.publish.failed" in written
    assert "How long does it take?" not in written

