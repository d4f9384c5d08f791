"""Load benchmark: reply latency and throughput with concurrent conversations, one
Rasa instance on SQLite against two behind nginx on PostgreSQL and Redis, and
memory per process after an hour-equivalent soak.

    python -m evaluation.load_benchmark [--levels 1 10 50] [--messages-per-level 1000]
                                        [--soak-messages 3000] [--only sqlite|scaled]
                                        [--think-seconds 0] [--routing message|conversation]

For each configuration it starts the servers (clinic/local_servers.py,
clinic/scaled_deployment.py; the scaled one on a new PostgreSQL database,
dropped afterwards, and a password-protected Redis of its own), then at each
level of concurrency runs that many conversations at once, each sending the
next patient question as soon as the last is answered, over the REST channel,
ten questions a conversation (one per topic) and then a new conversation
(a patient's conversation is that long; a single 200-message one would
measure Rasa handling an ever longer tracker instead; the scaled
configuration: each message to a randomly chosen instance, or with
--routing conversation each conversation to one, as nginx's sticky routing
keeps a patient's socket.io chat on one instance), and
prints p50/p95/p99 reply latency and messages per second (1,000 messages a
level: with 200, a p95 rests on ten replies and moved by 60 ms from one run to
the next). The scaling ratio is
the two-instance throughput over the one-instance throughput at each level.
By default each patient sends the next question the moment an answer arrives:
the servers' most, not a clinic's usual day. --think-seconds N has each pause
N seconds on average first, as patients reading the answer and typing do.

Hour-equivalent soak: --soak-messages messages (3,000 by default: a busy hour
for a clinic group, 300 conversations of 10 messages) at the highest level,
with each process's resident memory (RSS, with its children) before and after.
A script for figures, not a test: run it on a quiet machine.
"""
import argparse
import asyncio
import os
import random
import secrets
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

import aiohttp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clinic import model_build
from clinic.local_servers import running_stack
from clinic.redis_server import running_redis
from clinic.scaled_deployment import ensure_database, scaled_deployment
from evaluation.benchmark import percentile, resident_memory_mb
from evaluation.patient_questions import QUESTIONS

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")
SEED = 7


async def _patient(session: aiohttp.ClientSession, urls: Sequence[str], messages: int,
                   think_seconds: float, sticky: bool, rng: random.Random,
                   latencies: List[float]) -> None:
    """One of the concurrent patients: `messages` messages, in conversations of
    one question per topic (a new conversation after the last), each sent
    after a pause of `think_seconds` on average (exponential; 0: at once), to
    a random instance (`sticky`: the same for the whole conversation)."""
    for number in range(messages):
        if number % len(QUESTIONS) == 0:
            sender = f"bench-{secrets.token_hex(8)}"
            url = rng.choice(urls)
        elif not sticky:
            url = rng.choice(urls)
        if think_seconds:
            await asyncio.sleep(rng.expovariate(1 / think_seconds))
        started = time.perf_counter()
        async with session.post(f"{url}/webhooks/rest/webhook", json={
                "sender": sender, "message": QUESTIONS[number % len(QUESTIONS)]}) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status} from the Rasa server")
        latencies.append((time.perf_counter() - started) * 1000)


def load(urls: Sequence[str], concurrent: int, messages: int,
         think_seconds: float = 0, sticky: bool = False) -> Tuple[List[float], float]:
    """`messages` messages over `concurrent` conversations at once; returns the
    latencies (ms) and the throughput (messages/s)."""
    latencies: List[float] = []
    rng = random.Random(SEED)
    per_patient = max(1, messages // concurrent)

    async def run() -> None:
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await asyncio.gather(*(
                _patient(session, urls, per_patient, think_seconds, sticky,
                         random.Random(rng.random()), latencies)
                for _ in range(concurrent)))

    started = time.perf_counter()
    asyncio.run(run())
    return latencies, len(latencies) / (time.perf_counter() - started)


def measure(name: str, urls: Sequence[str], pids: Callable[[], Dict[str, int]],
            levels: Sequence[int], per_level: int, soak: int,
            think_seconds: float, sticky: bool = False) -> Dict[int, float]:
    pauses = f", patients pausing {think_seconds:g} s on average" if think_seconds else ""
    routing = ", each conversation on one instance" if sticky and len(urls) > 1 else ""
    print(f"\n== {name}{pauses}{routing}", flush=True)
    load(urls, 1, 3)  # warm-up: the first message loads lazily built parts
    throughput: Dict[int, float] = {}
    for concurrent in levels:
        latencies, throughput[concurrent] = load(urls, concurrent, per_level, think_seconds,
                                                 sticky)
        print(f"{concurrent:>3} concurrent: p50 {percentile(latencies, .5):6.0f} ms  "
              f"p95 {percentile(latencies, .95):6.0f} ms  p99 {percentile(latencies, .99):6.0f} ms  "
              f"{throughput[concurrent]:5.1f} messages/s  ({len(latencies)} messages)", flush=True)
    if soak:
        before = {process: resident_memory_mb(pid) for process, pid in pids().items()}
        latencies, rate = load(urls, max(levels), soak, sticky=sticky)
        print(f"soak: {len(latencies)} messages at {max(levels)} concurrent, back to back, "
              f"{rate:.1f} messages/s,"
              f" p95 {percentile(latencies, .95):.0f} ms")
        for process, pid in pids().items():
            after = resident_memory_mb(pid)
            print(f"  {process:<14} RSS {before[process]:7.0f} MB -> {after:7.0f} MB "
                  f"({after - before[process]:+.0f} MB)")
    return throughput


@contextmanager
def new_postgres_database() -> Iterator[str]:
    url = make_url(POSTGRES_ADMIN_URL).set(database=f"clinic_bench_{secrets.token_hex(6)}")
    database_url = url.render_as_string(hide_password=False)
    ensure_database(database_url)
    try:
        yield database_url
    finally:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--messages-per-level", type=int, default=1000)
    parser.add_argument("--soak-messages", type=int, default=3000)
    parser.add_argument("--only", choices=["sqlite", "scaled"])
    parser.add_argument("--think-seconds", type=float, default=0)
    parser.add_argument("--routing", choices=["message", "conversation"], default="message")
    args = parser.parse_args()
    model = model_build.model_path()
    if not model.exists():
        print("No trained model for the current data: run `make train` first.", file=sys.stderr)
        return 1
    measure_args = (args.levels, args.messages_per_level, args.soak_messages, args.think_seconds,
                    args.routing == "conversation")
    results: Dict[str, Dict[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="load-benchmark-") as folder:
        if args.only in (None, "sqlite"):
            with running_stack(model, Path(folder), f"sqlite:///{folder}/conversations.db") as stack:
                results["sqlite"] = measure(
                    "one Rasa instance, SQLite, in-memory lock", [stack.rasa_url],
                    lambda: {name: p.pid for name, p in stack.processes.items()}, *measure_args)
        if args.only in (None, "scaled"):
            scaled = Path(folder) / "scaled"
            scaled.mkdir()
            with new_postgres_database() as database_url, \
                    running_redis(scaled, scaled / "redis-password") as own_redis, \
                    scaled_deployment(model, scaled, database_url, own_redis.url()) as deployment:
                results["scaled"] = measure(
                    "two Rasa instances behind nginx, PostgreSQL, Redis", deployment.rasa_urls,
                    lambda: {name: s.process.pid for name, s in deployment.servers.items()},
                    *measure_args)
    if len(results) == 2:
        print("\nscaling (two instances' throughput / one's): " + ", ".join(
            f"{level} concurrent x{results['scaled'][level] / results['sqlite'][level]:.2f}"
            for level in args.levels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
