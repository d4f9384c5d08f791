"""The conversation lock across Rasa instances, against the machine's real Redis.

Rasa's RedisLockStore lets two instances into one conversation at once; ours
(clinic.lock_store.AtomicRedisLockStore) never does, recovers a dead instance's
lock within 10 seconds, and refuses clearly when Redis is gone.
"""
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, List

import pytest
import redis
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.shared.exceptions import ConnectionException
from rasa.utils.endpoints import EndpointConfig

from clinic.lock_store import AtomicRedisLockStore
from clinic.store_outage import answering_store_outages, try_again_shortly
from tests.services import unavailable
from tests.tcp_proxy import CuttableProxy

REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 1
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", autouse=True)
def redis_server() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {REDIS_URL}", str(error))


@pytest.fixture
def key_prefix() -> str:
    """Keys of this test only, removed afterwards."""
    prefix = f"test{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def ours(prefix: str, url: str = REDIS_URL, **options) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(url=url, key_prefix=f"{prefix}:", **options))


def stock(prefix: str) -> RedisLockStore:
    return RedisLockStore(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, key_prefix=prefix)


def two_instances_at_once(make_store: Callable[[], LockStore], rounds: int) -> int:
    """Two instances, each in its own thread and event loop (as two Rasa processes),
    ask for the same new conversation's lock at the same moment, `rounds` times;
    returns in how many rounds both were inside the lock together."""
    start = threading.Barrier(2)
    inside: List[int] = [0] * rounds
    overlaps = set()
    guard = threading.Lock()

    async def instance() -> None:
        store = make_store()
        for round_ in range(rounds):
            start.wait()
            async with store.lock(f"conversation-{round_}"):
                with guard:
                    inside[round_] += 1
                    if inside[round_] > 1:
                        overlaps.add(round_)
                await asyncio.sleep(0.02)
                with guard:
                    inside[round_] -= 1

    threads = [threading.Thread(target=asyncio.run, args=(instance(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return len(overlaps)


def test_rasas_redis_lock_store_lets_two_instances_into_one_conversation(key_prefix):
    assert two_instances_at_once(lambda: stock(key_prefix), rounds=20) > 0


def test_ours_never_lets_two_instances_into_one_conversation(key_prefix):
    assert two_instances_at_once(lambda: ours(key_prefix), rounds=100) == 0


def test_ours_serialises_a_conversations_messages_across_two_instances(key_prefix):
    """Ten messages on each of two instances for one conversation, all at once: each
    reads the conversation, takes a moment, and writes it back with its reply; none
    is lost and no two are handled at the same time."""
    tracker: List[str] = []
    handling: List[str] = []

    async def instance(name: str) -> None:
        store = ours(key_prefix)

        async def message(number: int) -> None:
            async with store.lock("one-conversation"):
                handling.append(f"start {name}{number}")
                seen = list(tracker)
                await asyncio.sleep(0.01)
                tracker[:] = seen + [f"{name}{number}", f"reply to {name}{number}"]
                handling.append(f"end {name}{number}")

        await asyncio.gather(*(message(number) for number in range(10)))

    threads = [threading.Thread(target=asyncio.run, args=(instance(name),)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(tracker) == 40
    assert all(tracker[i + 1] == f"reply to {tracker[i]}" for i in range(0, 40, 2))
    starts, ends = handling[0::2], handling[1::2]
    assert [s.split()[1] for s in starts] == [e.split()[1] for e in ends]
    assert all(s.startswith("start") for s in starts) and all(e.startswith("end") for e in ends)


HOLDER = """
import asyncio, sys
from rasa.utils.endpoints import EndpointConfig
from clinic.lock_store import AtomicRedisLockStore
from clinic.store_outage import answering_store_outages, try_again_shortly

async def hold():
    store = AtomicRedisLockStore(EndpointConfig(url=sys.argv[1], key_prefix=sys.argv[2]))
    async with store.lock("stuck-conversation"):
        print("locked", flush=True)
        await asyncio.sleep(3600)

asyncio.run(hold())
"""


def test_a_dead_instances_lock_is_taken_over_within_10_seconds(key_prefix):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, REDIS_URL, f"{key_prefix}:"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"

        async def wait_for_the_lock(alive_for: float) -> float:
            store = ours(key_prefix)
            waiting = asyncio.ensure_future(store.lock("stuck-conversation").__aenter__())
            # While the holder lives (longer than a ticket's lifetime: it renews
            # it), nobody else gets in.
            await asyncio.sleep(alive_for)
            assert not waiting.done()
            holder.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await asyncio.wait_for(waiting, 15)
            return time.monotonic() - killed

        waited = asyncio.run(wait_for_the_lock(alive_for=7))
    finally:
        holder.kill()
        holder.wait()
    assert waited < 10, f"the dead instance's lock was taken over after {waited:.1f} s"


def test_tickets_outlive_an_event_loop_busy_for_longer_than_their_lifetime(key_prefix):
    """Under load, Rasa's event loop runs NLU for one message after another and
    can't renew a ticket in time: the holder keeps the lock and the waiter,
    still in the queue, is served after it (not refused, not let in at once)."""
    store = ours(key_prefix, ticket_ttl_seconds=1)

    async def two_messages_one_blocking_the_loop() -> List[str]:
        seen: List[str] = []

        async def message(name: str, blocks_for: float) -> None:
            async with store.lock("busy-conversation"):
                seen.append(f"{name} in")
                await asyncio.sleep(0.3)  # meanwhile the other takes a ticket and waits
                time.sleep(blocks_for)  # CPU work that never yields to the loop
                seen.append(f"{name} out")

        await asyncio.gather(message("a", 3), message("b", 3))
        return seen

    seen = asyncio.run(two_messages_one_blocking_the_loop())
    assert seen in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


def test_ours_refuses_to_start_without_redis(key_prefix):
    with CuttableProxy(REDIS_HOST, REDIS_PORT) as proxy:
        proxy.cut()
        with pytest.raises(ConnectionException, match="Redis at redis://127.0.0.1:.* can't"):
            ours(key_prefix, url=f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}")


def test_with_redis_gone_messages_fail_clearly_and_never_share_a_conversation(key_prefix):
    """Instance A holds the conversation; instance B loses Redis: B's messages are
    refused with a clear error, not handled alongside A's; when Redis is back, B
    serves again without a restart."""
    with CuttableProxy(REDIS_HOST, REDIS_PORT) as proxy:
        url_b = f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}"

        async def scenario() -> None:
            a, b = ours(key_prefix), ours(key_prefix, url=url_b)
            async with a.lock("conversation"):
                proxy.cut()
                handled = []
                with pytest.raises(LockError, match="Redis at redis://127.0.0.1.* can't"):
                    async with b.lock("conversation"):
                        handled.append("b")
                assert handled == []
            proxy.restore()
            async with b.lock("conversation"):
                handled.append("b")
            assert handled == ["b"]

        asyncio.run(scenario())


def test_a_patient_whose_message_cant_be_locked_is_told_to_send_it_again(key_prefix):
    with CuttableProxy(REDIS_HOST, REDIS_PORT) as proxy:
        store = ours(key_prefix, url=f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}")

        async def handled_as_rasa_does(message: UserMessage) -> None:
            async with store.lock(message.sender_id):
                await message.output_channel.send_text_message(message.sender_id, "An answer.")

        def send(text: str) -> List[str]:
            channel = CollectingOutputChannel()
            handle = answering_store_outages(handled_as_rasa_does)
            asyncio.run(handle(UserMessage(text, channel, "patient")))
            return [message["text"] for message in channel.messages]

        proxy.cut()
        assert send("What is prolotherapy?") == [try_again_shortly()]
        proxy.restore()
        assert send("What is prolotherapy?") == ["An answer."]
