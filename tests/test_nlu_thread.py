"""Messages read in a worker thread (clinic/nlu_thread.py), with the trained
model loaded in this process: the same reading as Rasa's own code, and the
event loop free for other conversations while a message is read."""
import asyncio
import threading
from pathlib import Path
from typing import List

import pytest
from rasa.core.agent import Agent, load_agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor

from clinic import nlu_thread

QUESTIONS = ["What is prolotherapy?", "how long does it take and does it hurt?",
             "I have chest pain and can't breathe", "can I talk to a person",
             "what's the weather on mars"]


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Agent:
    return asyncio.run(load_agent(model_path=str(trained_model)))


def test_messages_read_the_same_as_with_rasas_code(agent: Agent) -> None:
    async def both(text: str):
        message = UserMessage(text, sender_id="patient")
        ours = await nlu_thread.parse_message(agent.processor, message)
        rasas = await nlu_thread.rasas_parse_message(agent.processor, message)
        return ours, rasas

    for text in QUESTIONS:
        ours, rasas = asyncio.run(both(text))
        assert ours["intent"]["name"] == rasas["intent"]["name"], text
        assert ours["intent"]["confidence"] == pytest.approx(rasas["intent"]["confidence"]), text
        assert ours["entities"] == rasas["entities"], text
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


def test_other_conversations_go_on_while_a_message_is_read(agent: Agent,
                                                         monkeypatch) -> None:
    threads: List[str] = []
    read_in_graph = agent.processor._parse_message_with_graph

    def recording(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return read_in_graph(*args, **kwargs)

    monkeypatch.setattr(agent.processor, "_parse_message_with_graph", recording)
    assert _loop_turns_while_parsing(agent.processor, nlu_thread.rasas_parse_message) <= 1
    assert _loop_turns_while_parsing(agent.processor, nlu_thread.parse_message) > 1
    assert threads[0] == threading.main_thread().name
    assert threads[1].startswith(nlu_thread.NLU_THREAD_NAME)
