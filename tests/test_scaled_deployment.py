"""The scaled deployment (clinic/scaled_deployment.py, `make run-scaled`) against
the machine's real PostgreSQL, Redis and nginx: two Rasa instances on
endpoints.production.yml and two action servers behind nginx, started once for
the module on the current model, on a fresh PostgreSQL database and its own
password-protected Redis (clinic/redis_server.py), which the servers reach
through a proxy the tests can cut (tests/tcp_proxy.py).

Load goes to the Rasa instances' REST channels directly (allowed from this
machine), each message to a randomly chosen instance; trackers are read back
from PostgreSQL. The instance-failure test kills an instance, so it runs last.
"""
import asyncio
import json
import pickle
import random
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import aiohttp
import pytest
import redis
from sqlalchemy import create_engine, text

from clinic import nginx_config
from clinic.lock_store import KEY_PREFIX
from clinic.local_servers import http
from clinic.patient_socket import PatientSocket
from clinic.rasa_api import RasaApi
from clinic.redis_server import (HOST as REDIS_HOST, OwnRedis, RedisMissing, redis_binary,
                                  running_redis)
from clinic.scaled_deployment import ScaledDeployment, scaled_deployment
from clinic.socket_manager import channel_name
from clinic.store_outage import try_again_shortly
from evaluation.patient_questions import QUESTIONS
from tests.services import fresh_postgres_database, unavailable

SEED = 20261126
APOLOGY = "Sorry, I can't look that up right now because of a technical problem."


# tests/tcp_proxy.py in a process of its own: in this one, the load client would
# slow every Redis call of the Rasa instances down (a third of the messages then
# timed out on Redis).
PROXY_PROCESS = """
import sys
from tests.tcp_proxy import CuttableProxy
with CuttableProxy(sys.argv[1], int(sys.argv[2])) as proxy:
    print(proxy.port, flush=True)
    for command in sys.stdin:
        {"cut": proxy.cut, "restore": proxy.restore}[command.strip()]()
        print("done", flush=True)
"""


class RedisProxy:
    """Redis behind a proxy that cut() takes away and restore() brings back."""

    def __init__(self, port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", PROXY_PROCESS, REDIS_HOST, str(port)],
            cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())

    def _command(self, command: str) -> None:
        self.process.stdin.write(f"{command}\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "done"

    def cut(self) -> None:
        self._command("cut")

    def restore(self) -> None:
        self._command("restore")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(20)


@dataclass
class Deployment:
    servers: ScaledDeployment
    redis: OwnRedis
    redis_proxy: RedisProxy


@pytest.fixture(scope="module")
def deployment(trained_model: Path, tmp_path_factory) -> Iterator[Deployment]:
    try:
        nginx_config.nginx_binary()
    except nginx_config.NginxMissing as missing:
        unavailable("nginx", str(missing))
    try:
        redis_binary()
    except RedisMissing as missing:
        unavailable("redis-server", str(missing))
    folder = tmp_path_factory.mktemp("scaled")
    with fresh_postgres_database() as database_url, \
            running_redis(folder, folder / "redis-password") as own_redis:
        proxy = RedisProxy(own_redis.port)
        try:
            servers = scaled_deployment(trained_model, folder, database_url,
                                        own_redis.url(port=proxy.port))
            with servers:
                yield Deployment(servers, own_redis, proxy)
        finally:
            proxy.close()


# --- talking to the instances -------------------------------------------------

@dataclass
class Answered:
    text: str
    replies: List[str]


@dataclass
class Conversation:
    sender: str
    answered: List[Answered] = field(default_factory=list)


async def post(session: aiohttp.ClientSession, rasa_url: str, sender: str,
               message: str) -> List[Dict]:
    async with session.post(f"{rasa_url}/webhooks/rest/webhook",
                            json={"sender": sender, "message": message}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def send(session: aiohttp.ClientSession, deployment: ScaledDeployment,
               rng: random.Random, conversation: Conversation, message: str) -> None:
    """Post to a random instance; on a connection failure (a dead instance: the
    message was not acknowledged), send it again to another."""
    urls = list(deployment.rasa_urls)
    rng.shuffle(urls)
    for url in urls:
        if not instance_alive(deployment, url):
            continue
        try:
            replies = await post(session, url, conversation.sender, message)
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError):
            continue
        conversation.answered.append(Answered(message, [r.get("text", "") for r in replies]))
        return
    raise AssertionError(f"no instance answered {message!r} of {conversation.sender}")


def instance_alive(deployment: ScaledDeployment, url: str) -> bool:
    name = f"rasa-{deployment.rasa_urls.index(url) + 1}"
    return deployment.servers[name].is_running


async def converse(session, deployment, rng: random.Random, conversation: Conversation) -> None:
    """The ten questions in a random order; now and then the next one is sent
    without waiting for the reply to the one before."""
    questions = rng.sample(QUESTIONS, len(QUESTIONS))
    while questions:
        if len(questions) >= 2 and rng.random() < 0.25:
            first, second = questions.pop(), questions.pop()
            await asyncio.gather(
                send(session, deployment, rng, conversation, first),
                _after(rng.uniform(0, 0.02), send(session, deployment, rng, conversation, second)))
        else:
            await send(session, deployment, rng, conversation, questions.pop())


async def _after(seconds: float, coroutine):
    await asyncio.sleep(seconds)
    return await coroutine


def client_session(concurrent: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2 * concurrent),
                                 timeout=aiohttp.ClientTimeout(total=300))


async def run_load(deployment: ScaledDeployment, conversations: List[Conversation],
                   seed: int) -> None:
    async with client_session(len(conversations)) as session:
        await asyncio.gather(*(
            converse(session, deployment, random.Random(f"{seed}-{c.sender}"), c)
            for c in conversations))


def new_conversations(count: int, label: str) -> List[Conversation]:
    return [Conversation(f"{label}-{uuid.uuid4().hex}") for _ in range(count)]


# --- reading trackers back ----------------------------------------------------

def stored_messages(database_url: str, senders: List[str]) -> Dict[str, List[Tuple[str, str]]]:
    """Each conversation's user and bot events, in stored order: (type, text)."""
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT sender_id, type_name, data FROM events "
                "WHERE sender_id = ANY(:senders) AND type_name IN ('user', 'bot') "
                "ORDER BY id"), {"senders": senders}).all()
    finally:
        engine.dispose()
    messages: Dict[str, List[Tuple[str, str]]] = {sender: [] for sender in senders}
    for sender, kind, data in rows:
        messages[sender].append((kind, json.loads(data).get("text") or ""))
    return messages


def exchanges(messages: List[Tuple[str, str]]) -> List[Tuple[str, List[str]]]:
    """The stored conversation as (user message, the bot messages after it)."""
    result: List[Tuple[str, List[str]]] = []
    for kind, message in messages:
        if kind == "user":
            result.append((message, []))
        else:
            assert result, f"a bot message before any user message: {message!r}"
            result[-1][1].append(message)
    return result


def whole(replies: List[str]) -> str:
    """The replies' text as the tracker stores it: the REST channel sends each
    paragraph of a reply as a message of its own."""
    return "\n\n".join(replies)


def is_a_real_answer(replies: List[str]) -> bool:
    return bool(replies) and not any(
        r in (try_again_shortly(), APOLOGY) for r in replies)


# --- the tests ----------------------------------------------------------------

def test_only_the_patient_paths_are_reachable_through_nginx(deployment):
    public = deployment.servers.public_url
    with urllib.request.urlopen(f"{public}/", timeout=30) as page:
        assert page.status == 200 and "Hello from Rasa" not in page.read().decode()
    with urllib.request.urlopen(f"{public}/socket.io/?EIO=4&transport=polling",
                                timeout=30) as handshake:
        assert '"sid"' in handshake.read().decode()
    # Rasa's REST channel and HTTP API are not routed from outside.
    status, body = http("POST", f"{public}/webhooks/rest/webhook",
                        {"sender": "someone", "message": "What is prolotherapy?"})
    assert status == 404, body
    for path in ("/conversations/someone/tracker", "/status", "/model/parse", "/webhook"):
        status, _ = http("GET", f"{public}{path}")
        assert status == 404, path


def test_the_action_servers_refuse_calls_without_the_token_also_through_nginx(deployment):
    """nginx's action listener passes calls on; only Rasa's, with the token, are served."""
    servers = deployment.servers
    call = {"next_action": "action_hand_over_to_staff", "sender_id": "attacker",
            "tracker": {"sender_id": "attacker", "events": [], "paused": False}, "domain": {}}
    for url in (servers.env["ACTION_ENDPOINT_URL"],
                *(f"{server}/webhook" for server in servers.action_server_urls)):
        assert http("POST", url, call)[0] == 401, url
        assert http("POST", url, call, {"Authorization": "Bearer not-the-token"})[0] == 401, url


def test_its_redis_refuses_whoever_lacks_the_password(deployment):
    servers, own = deployment.servers, deployment.redis
    assert own.password in servers.redis_url
    for url in (f"redis://{REDIS_HOST}:{own.port}/1", f"redis://:guess@{REDIS_HOST}:{own.port}/1"):
        with redis.Redis.from_url(url) as client:
            with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
                client.publish(channel_name(servers.api_token), "{}")


class OpensAFile:
    """Unpickling it creates the file: evidence that code from Redis ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return open, (str(self.path), "w")


def test_a_pickle_published_on_the_chat_channel_runs_no_code(deployment, tmp_path):
    """python-socketio 5.9 unpickled what came on the channel (CVE-2025-61765):
    whoever could publish ran code in every Rasa instance."""
    servers = deployment.servers
    evidence = tmp_path / "unpickled"
    # Each instance listens to the channel from its first socket on.
    patients = [PatientSocket(url) for url in servers.rasa_urls]
    try:
        with redis.Redis.from_url(deployment.redis.url()) as client:
            channel = channel_name(servers.api_token)
            client.publish(channel, pickle.dumps({"method": "emit", "x": OpensAFile(evidence)}))
            # Then a message each instance delivers: the pickle was read before it.
            for patient in patients:
                client.publish(channel, json.dumps({
                    "method": "emit", "event": "bot_uttered", "binary": False,
                    "data": [{"text": "after the pickle", "metadata": {}}], "namespace": "/",
                    "room": patient.session_id, "skip_sid": None, "callback": None,
                    "host_id": "a test"}))
        for patient in patients:
            assert patient.wait_for("after the pickle", timeout=30)
        assert not evidence.exists()
        # Both instances still answer.
        for patient in patients:
            patient.say("What is prolotherapy?")
            assert patient.next_message(timeout=120)["text"]
    finally:
        for patient in patients:
            patient.close()

def test_concurrent_conversations_are_answered_in_order_with_nothing_lost(deployment):
    servers = deployment.servers
    conversations = new_conversations(200, "load")
    started = time.monotonic()
    asyncio.run(run_load(servers, conversations, SEED))
    elapsed = time.monotonic() - started

    stored = stored_messages(servers.database_url, [c.sender for c in conversations])
    for conversation in conversations:
        assert len(conversation.answered) == len(QUESTIONS)
        refused = [a for a in conversation.answered if not is_a_real_answer(a.replies)]
        assert not refused, (conversation.sender, refused)
        # Every message stored once, directly followed by its own replies and only them.
        sent = {a.text: a.replies for a in conversation.answered}
        kept = exchanges(stored[conversation.sender])
        assert sorted(message for message, _ in kept) == sorted(QUESTIONS), conversation.sender
        for message, replies in kept:
            assert whole(replies) == whole(sent[message]), (conversation.sender, message)
    print(f"2,000 messages in {elapsed:.0f} s ({2000 / elapsed:.1f} messages/s)")


def test_without_action_servers_the_patient_gets_an_apology_and_answers_resume(deployment):
    servers = deployment.servers
    sender = f"actions-down-{uuid.uuid4().hex}"
    contact_phone = "+1 555 0100"  # settings/clinic.yml

    def ask(url: str) -> List[str]:
        status, replies = http("POST", f"{url}/webhooks/rest/webhook",
                               {"sender": sender, "message": "What is prolotherapy?"})
        assert status == 200, replies
        return [r.get("text", "") for r in replies]

    try:
        servers.stop("actions-1")
        for url in servers.rasa_urls:  # the other action server answers
            assert is_a_real_answer(ask(url))

        servers.stop("actions-2")
        for url in servers.rasa_urls:
            replies = ask(url)
            assert APOLOGY in replies and any(contact_phone in r for r in replies), replies
        # The Rasa servers keep serving.
        for url in servers.rasa_urls:
            with urllib.request.urlopen(f"{url}/", timeout=30) as health:
                assert health.status == 200
    finally:
        servers.start("actions-1", "actions-2")

    deadline = time.monotonic() + 15  # nginx gives a failed server another try within 5 s
    while not is_a_real_answer(replies := ask(servers.rasa_urls[0])):
        assert time.monotonic() < deadline, f"answers did not resume: {replies}"
        time.sleep(1)


def instance_behind_nginx(servers: ScaledDeployment) -> str:
    """The Rasa instance nginx sends this machine's socket.io requests to (sticky
    by client address), as its access log says."""
    log = servers.servers["nginx"].log.parent / "nginx" / "access.log"
    upstreams = [line.rsplit('"', 2)[-2] for line in log.read_text().splitlines()
                 if '/socket.io/' in line]
    assert upstreams and len(set(upstreams)) == 1, upstreams
    return f"http://{upstreams[0]}"


def test_a_staff_reply_through_either_instance_reaches_the_patient_live(deployment):
    servers = deployment.servers
    patient = PatientSocket(servers.public_url, origin=servers.public_url)
    try:
        patient.say("What is prolotherapy?")
        patient.next_message()
        holding = instance_behind_nginx(servers)
        [other] = [url for url in servers.rasa_urls if url != holding]

        reply = "Hello, this is Jane, a nurse at the clinic."
        asyncio.run(RasaApi(other, servers.api_token).send_staff_message(
            patient.session_id, reply, "Nurse Jane"))
        message = patient.wait_for("this is Jane", timeout=10)
        assert message["text"] == reply
        assert message["metadata"]["from"] == "clinic_staff"
        assert message["metadata"]["staff_name"] == "Nurse Jane"
    finally:
        patient.close()


def test_without_redis_messages_are_refused_not_handled_unlocked(deployment):
    servers, proxy = deployment.servers, deployment.redis_proxy
    sender = f"redis-down-{uuid.uuid4().hex}"

    def ask(url: str, message: str) -> List[str]:
        status, replies = http("POST", f"{url}/webhooks/rest/webhook",
                               {"sender": sender, "message": message})
        assert status == 200, replies
        return [r.get("text", "") for r in replies]

    patient = PatientSocket(servers.public_url, origin=servers.public_url)
    proxy.cut()
    try:
        for url in servers.rasa_urls:
            assert ask(url, "Does prolotherapy hurt?") == [try_again_shortly()]
        assert stored_messages(servers.database_url, [sender])[sender] == []
        # The chat's socket.io messages to a patient on the same instance don't need Redis.
        patient.say("Does prolotherapy hurt?")
        assert patient.next_message()["text"] == try_again_shortly()
    finally:
        proxy.restore()
        patient.close()
    assert is_a_real_answer(ask(servers.rasa_urls[1], "Does prolotherapy hurt?"))
    kept = exchanges(stored_messages(servers.database_url, [sender])[sender])
    assert [message for message, _ in kept] == ["Does prolotherapy hurt?"]


def test_killing_an_instance_under_load_loses_no_acknowledged_message(deployment):
    """rasa-1 is killed (SIGKILL) a third of the way through 40 conversations,
    while it holds one conversation's lock (the action servers are paused a
    moment so that it can't finish): the load carries on on rasa-2, and the
    conversation stuck behind the dead instance's lock is free again within 10 s
    (its dead ticket gone from Redis) and answered."""
    servers = deployment.servers
    dead_url, survivor_url = servers.rasa_urls
    conversations = new_conversations(40, "failover")
    stuck = f"stuck-{uuid.uuid4().hex}"
    locks = redis.Redis.from_url(deployment.redis.url())
    recovery: Dict[str, object] = {}

    async def kill_when_a_third_is_answered() -> None:
        total = len(conversations) * len(QUESTIONS)
        while sum(len(c.answered) for c in conversations) < total / 3:
            await asyncio.sleep(0.1)
        async with client_session(1) as session:
            pause_action_servers(servers, signal.SIGSTOP)
            try:
                held = asyncio.ensure_future(post(session, dead_url, stuck, "What is prolotherapy?"))
                queue = f"{KEY_PREFIX}{stuck}:queue"
                await wait_for(lambda: locks.zcard(queue) > 0, 20)
                dead_ticket = f"{KEY_PREFIX}{stuck}:ticket:{locks.zrange(queue, 0, 0)[0].decode()}"
                servers.kill("rasa-1")
                killed_at = time.monotonic()
            finally:
                pause_action_servers(servers, signal.SIGCONT)
            with pytest.raises(aiohttp.ClientError):
                await held
            reply = asyncio.ensure_future(
                post(session, survivor_url, stuck, "Does prolotherapy hurt?"))
            # Unstuck when the dead instance's ticket is gone: the survivor's
            # waiting ticket is served at its next look (every 50 ms).
            await wait_for(lambda: not locks.exists(dead_ticket), 30)
            recovery["lock freed after s"] = time.monotonic() - killed_at
            recovery["replies"] = [r.get("text", "") for r in await reply]
            recovery["answered after s"] = time.monotonic() - killed_at

    async def load_and_kill() -> None:
        await asyncio.gather(run_load(servers, conversations, SEED + 1),
                             kill_when_a_third_is_answered())

    asyncio.run(load_and_kill())

    assert recovery["lock freed after s"] < 10, recovery
    assert is_a_real_answer(recovery["replies"]), recovery
    stored = stored_messages(servers.database_url, [c.sender for c in conversations])
    for conversation in conversations:
        # Every message was acknowledged in the end, by one instance or the other,
        assert sorted(a.text for a in conversation.answered) == sorted(QUESTIONS)
        # and every acknowledged one is stored, followed by the replies the patient got.
        kept = exchanges(stored[conversation.sender])
        for answered in conversation.answered:
            assert (answered.text, whole(answered.replies)) in [
                (message, whole(replies)) for message, replies in kept], (conversation.sender,
                                                                          answered.text)
    print(f"stuck conversation's lock freed {recovery['lock freed after s']:.1f} s after the "
          f"kill, answered after {recovery['answered after s']:.1f} s")


def pause_action_servers(servers: ScaledDeployment, pause_or_resume: signal.Signals) -> None:
    for name in ("actions-1", "actions-2"):
        servers.servers[name].process.send_signal(pause_or_resume)


async def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
