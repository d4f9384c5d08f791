"""Messages read in a worker process (clinic/nlu_process.py), with the trained
model: the same reading as Rasa's own code, the event loop free meanwhile, a
dead worker replaced, and a worker that outlives its server gone by itself."""
import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from rasa.core.agent import Agent, load_agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor

from clinic import nlu_process, settings
from clinic.message_tokens import first_tokens
from clinic.settings import PROJECT_ROOT

QUESTIONS = ["What is prolotherapy?", "how long does it take and does it hurt?",
             "I have chest pain and can't breathe", "can I talk to a person",
             "my knee hurts, can it help?", "what's the weather on mars"]


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Iterator[Agent]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MessageProcessor, "__init__", nlu_process.__init__)
        yield asyncio.run(load_agent(model_path=str(trained_model)))


def _worker_pids() -> set:
    return {child.pid for child in multiprocessing.active_children()}


def test_messages_read_the_same_as_with_rasas_code(agent: Agent) -> None:
    async def both(text: str):
        message = UserMessage(text, sender_id="patient")
        ours = await nlu_process.parse_message(agent.processor, message)
        rasas = await nlu_process.rasas_parse_message(agent.processor, message)
        return ours, rasas

    for text in QUESTIONS:
        ours, rasas = asyncio.run(both(text))
        assert ours["intent"]["name"] == rasas["intent"]["name"], text
        assert ours["intent"]["confidence"] == pytest.approx(rasas["intent"]["confidence"]), text
        assert ours["entities"] == rasas["entities"], text
        if "red_flag" in ours["intent"]:  # red flags alone read it: no other intents ranked
            continue
        assert [i["name"] for i in ours["intent_ranking"]] == \
            [i["name"] for i in rasas["intent_ranking"]], text


def _loop_turns_while_parsing(processor: MessageProcessor, parse) -> int:
    """How many times the event loop ran something else while one message was read."""
    async def run() -> int:
        done = asyncio.Event()
        turns = 0

        async def other_conversation() -> None:
            nonlocal turns
            while not done.is_set():
                turns += 1
                await asyncio.sleep(0)

        async def read() -> None:
            await parse(processor, UserMessage("Does prolotherapy hurt?", sender_id="patient"))
            done.set()

        await asyncio.gather(read(), other_conversation())
        return turns
    return asyncio.run(run())


def test_other_conversations_go_on_while_a_message_is_read(agent: Agent) -> None:
    assert _loop_turns_while_parsing(agent.processor, nlu_process.rasas_parse_message) <= 1
    assert _loop_turns_while_parsing(agent.processor, nlu_process.parse_message) > 1


def test_a_dead_worker_is_replaced_and_the_message_still_read(agent: Agent) -> None:
    [worker_pid] = _worker_pids()
    os.kill(worker_pid, signal.SIGKILL)
    message = UserMessage("how long does a session take?", sender_id="patient")
    parse_data = asyncio.run(nlu_process.parse_message(agent.processor, message))
    assert parse_data["intent"]["name"] == "ask_duration"
    assert _worker_pids() and worker_pid not in _worker_pids()


# A process that starts a worker, prints its pid, and is killed before it can stop it.
ORPHANING_SERVER = """
import multiprocessing, os, signal, sys
from clinic.nlu_process import NLUWorker
worker = NLUWorker(sys.argv[1])
worker.wait_until_loaded()
[child] = multiprocessing.active_children()
print(child.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_worker_stops_when_its_server_is_killed(trained_model: Path) -> None:
    server = subprocess.run([sys.executable, "-c", ORPHANING_SERVER, str(trained_model)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert server.returncode == -signal.SIGKILL, server.stderr[-2000:]
    worker_pid = int(server.stdout.split()[-1])
    deadline = time.monotonic() + 10 * nlu_process.PARENT_CHECK_SECONDS
    while _running(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running(worker_pid), "the orphaned NLU worker is still running"


def _running(pid: int) -> bool:
    """Alive and not a zombie (exited, waiting for whoever adopted it to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


EMERGENCIES = ["I have crushing chest pain", "my throat is swelling up", "help"]


def test_an_emergency_reads_as_the_whole_pipeline_reads_it(agent: Agent) -> None:
    async def both(text: str):
        message = UserMessage(text, sender_id="patient", message_id="m1")
        return (await nlu_process.parse_message(agent.processor, message),
                await nlu_process.rasas_parse_message(agent.processor, message))

    for text in EMERGENCIES:
        ours, rasas = asyncio.run(both(text))
        assert ours["intent"] == rasas["intent"], text
        assert ours["intent"]["red_flag"] and ours["intent"]["confidence"] == 1.0, text
        assert ours["intent_ranking"][0] == rasas["intent_ranking"][0], text
        assert ours["text"] == text and ours["entities"] == [], text


def test_an_emergency_does_not_wait_for_the_worker(agent: Agent) -> None:
    with multiprocessing.Manager() as manager:
        release = manager.Event()
        busy = agent.processor._nlu_worker._pool.submit(release.wait)  # the queue's head
        try:
            parse_data = asyncio.run(nlu_process.parse_message(
                agent.processor, UserMessage("crushing chest pain", sender_id="patient")))
            assert not busy.done()
        finally:
            release.set()
        busy.result()
    assert parse_data["intent"]["name"] == "report_emergency"


def test_a_message_is_read_up_to_its_token_limit_and_kept_whole(agent: Agent) -> None:
    text = "how long does a session take? " + "痛😀" * 900
    first = first_tokens(text, settings.nlu_max_tokens())
    whole, read = (asyncio.run(nlu_process.parse_message(
        agent.processor, UserMessage(t, sender_id="patient"))) for t in (text, first))
    assert len(first) < len(text)
    assert whole["intent"]["name"] == read["intent"]["name"] == "ask_duration"
    assert whole["intent"]["confidence"] == pytest.approx(read["intent"]["confidence"])
    assert whole["text"] == text
