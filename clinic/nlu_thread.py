"""Rasa reads a patient's message (its NLU pipeline: spaCy, the sentence model,
DIET, the intent classifier) on the server's event loop, so while one message
is read no other patient's reply moves on: the tracker reads and saves, rules
and action calls of the other conversations wait. Most of that reading is
TensorFlow and ONNX Runtime, which let go of Python's lock while they compute.

`install()` has Rasa read messages in one worker thread instead, so the event
loop goes on with the other conversations meanwhile (one Rasa instance at 10
concurrent conversations on a busy 2-core machine: p95 6-20% lower, README). One
thread: messages are still read one at a time, as before, so no pipeline
component is ever run by two threads at once; dialogue policies (rules and
memoization, on the event loop) share no graph node with the NLU pipeline.

The steps after the parse are those of Rasa 3.6's `MessageProcessor.parse_message`,
except its debug log line, which carries the patient's text. A model loaded
with an HTTP interpreter (NLU on another server) keeps Rasa's own code."""
import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

NLU_THREAD_NAME = "clinic-nlu"
_nlu_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=NLU_THREAD_NAME)
rasas_parse_message = MessageProcessor.parse_message


async def parse_message(self: MessageProcessor, message: UserMessage,
                        tracker: Optional[DialogueStateTracker] = None,
                        only_output_properties: bool = True) -> Dict[Text, Any]:
    if self.http_interpreter:
        return await rasas_parse_message(self, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    parse_data = await asyncio.get_running_loop().run_in_executor(
        _nlu_thread, self._parse_message_with_graph, message, tracker, only_output_properties)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


def install() -> None:
    MessageProcessor.parse_message = parse_message
