"""Rasa reads patients' messages (its NLU pipeline: the entity extractor, the
sentence model, the intent classifier) in a process of its own, beside the Rasa
server.

Rasa reads a message on the server's event loop, so while one message is read
no other patient's reply moves on. A worker thread frees the loop but not
Python's lock: one Rasa process runs about one core's worth of Python, and at
10 conversations sending back to back its two threads queued for that lock
(py-spy: the reading thread waited ~8 ms of every 25). In a process of its own
the pipeline has its own lock and the other core: one instance at 10
concurrent conversations went from 31-32 to 47-49 messages a second and its
p95 from 359-380 to 241-245 ms (docs/deployment.md).

Each MessageProcessor (one per loaded model) has its worker process, which loads
the same model file's NLU part (Rasa's own model storage and graph runner, the
nodes the NLU target needs) and reads one message at a time, with Rasa's own
`_parse_message_with_graph`. The Rasa server loads the dialogue part only, so
each process holds its own part of the model (1.9 GB each if both held all).

The worker starts with the processor and loads in parallel with it, so a model
switch keeps the old processor and its worker answering until the new pair is
ready; the old worker stops soon after (clinic/model_loading.py). A worker that
dies is started again and the message read by the new one; a worker whose Rasa
server dies stops by itself. With an HTTP interpreter (NLU on another server,
Rasa's `nlu` endpoint) there is no worker and Rasa's own code reads messages.

Every message waits in the worker's queue, so an emergency must not go there:
a message with a red flag is read at once, here, by RedFlagClassifier alone
(a regular expression search), with the result the whole pipeline ends with
(report_emergency, confidence 1, the red flag's name), but no entities. The
worker reads only a message's first NLU_MAX_TOKENS tokens
(clinic/message_tokens.py): 2,000 characters of CJK or emoji would otherwise
hold everyone behind them for hundreds of milliseconds (docs/performance.md)."""
import asyncio
import logging
import multiprocessing
import os
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, Optional, Text, Tuple, Type

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.engine import loader
from rasa.engine.constants import PLACEHOLDER_MESSAGE
from rasa.engine.graph import ExecutionContext
from rasa.engine.runner.interface import GraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.storage import ModelMetadata, ModelStorage
from rasa.graph_components.converters.nlu_message_converter import NLUMessageConverter
from rasa.model import get_latest_model
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT

from clinic import library_versions, log_privacy, long_lived_heap, settings
from clinic.graph_runner import OrderedGraphRunner
from clinic.message_tokens import first_tokens
from clinic.red_flags import EMERGENCY_INTENT, RedFlagClassifier, RedFlags

logger = logging.getLogger(__name__)

rasas_init = MessageProcessor.__init__
rasas_parse_message = MessageProcessor.parse_message
PARENT_CHECK_SECONDS = 1.0
RETIRE_AFTER_SECONDS = 10.0

# In the worker process: the loaded NLU graph, as `_parse_message_with_graph` reads it.
_nlu: Optional[SimpleNamespace] = None


def _stop_when_orphaned(parent: int) -> None:
    """A worker outliving its Rasa server (killed, say) would hold its memory forever."""
    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(PARENT_CHECK_SECONDS)
        os._exit(0)
    threading.Thread(target=watch, name="clinic-nlu-parent-watch", daemon=True).start()


def _load_part(target_of: Callable[[ModelMetadata], Optional[Text]]) -> Callable[
        [Path, Path, Type[ModelStorage], Type[GraphRunner]], Tuple[ModelMetadata, GraphRunner]]:
    """Rasa's `loader.load_predict_graph_runner`, creating only the nodes that the
    target `target_of(metadata)` needs (all of them if the model has no such target)."""
    def load(storage_path: Path, model_archive_path: Path, model_storage_class: Type[ModelStorage],
             graph_runner_class: Type[GraphRunner]) -> Tuple[ModelMetadata, GraphRunner]:
        model_storage, metadata = model_storage_class.from_model_archive(
            storage_path=storage_path, model_archive_path=model_archive_path)
        target = target_of(metadata)
        runner = graph_runner_class.create(
            graph_schema=metadata.predict_schema.minimal_graph_schema(
                [target] if target else None),
            model_storage=model_storage,
            execution_context=ExecutionContext(
                graph_schema=metadata.predict_schema, model_id=metadata.model_id))
        return metadata, runner
    return load


load_nlu_part = _load_part(lambda metadata: metadata.nlu_target)
load_dialogue_part = _load_part(lambda metadata: metadata.core_target)


def _load_dialogue_part_for_rasa(storage_path: Path, model_archive_path: Path,
                                 model_storage_class: Type[ModelStorage],
                                 _dask_runner_class: Type[GraphRunner],
                                 ) -> Tuple[ModelMetadata, GraphRunner]:
    """What Rasa's MessageProcessor loads: the dialogue part, run by
    OrderedGraphRunner (clinic/graph_runner.py) instead of the DaskGraphRunner it names."""
    return load_dialogue_part(storage_path, model_archive_path, model_storage_class,
                              OrderedGraphRunner)


def _load(archive: Text, parent: int) -> None:
    """The worker's start: the NLU part of the model."""
    global _nlu
    # A spawned process starts with no logging set up: what it logged, and the
    # warnings Rasa raises quoting a message, went to standard error unredacted.
    log_privacy.configure_process()
    _stop_when_orphaned(parent)
    with tempfile.TemporaryDirectory() as storage:
        metadata, runner = load_nlu_part(Path(storage), Path(archive), LocalModelStorage,
                                         OrderedGraphRunner)
    _nlu = SimpleNamespace(graph_runner=runner, model_metadata=metadata)
    long_lived_heap.freeze()


def _ready() -> bool:
    return _nlu is not None


def _parse(text: Text, message_id: Optional[Text], metadata: Any,
           only_output_properties: bool) -> Dict[Text, Any]:
    message = UserMessage(text, message_id=message_id, metadata=metadata)
    # Rasa's own reading; the NLU nodes take the message only, not the tracker.
    return MessageProcessor._parse_message_with_graph(_nlu, message, None, only_output_properties)


class NLUWorker:
    """One process that reads messages with one model file's NLU pipeline."""

    def __init__(self, archive: Text) -> None:
        self.archive = archive
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_load, initargs=(archive, os.getpid()))
        self._loaded: Future = self._pool.submit(_ready)

    def wait_until_loaded(self) -> None:
        """Raises BrokenProcessPool if the model could not be loaded."""
        self._loaded.result()

    async def parse(self, text: Text, message: UserMessage,
                    only_output_properties: bool) -> Dict[Text, Any]:
        """`message` read as if its text were `text`."""
        return await asyncio.wrap_future(self._pool.submit(
            _parse, text, message.message_id, message.metadata, only_output_properties))

    def stop(self) -> None:
        """The process ends once the messages already given to it are read."""
        self._pool.shutdown(wait=False)


class RedFlagGraph:
    """The NLU graph cut down to its last node, RedFlagClassifier."""
    target = "red flags"

    def __init__(self) -> None:
        self._classifier = RedFlagClassifier(RedFlags.load(settings.red_flags_file()))

    def run(self, inputs: Dict[Text, Any], targets: Any) -> Dict[Text, Any]:
        messages = NLUMessageConverter().convert_user_message(inputs[PLACEHOLDER_MESSAGE])
        return {self.target: self._classifier.process(messages)}

    def emergency(self, message: UserMessage,
                  only_output_properties: bool) -> Optional[Dict[Text, Any]]:
        """The parse data of a message with a red flag (made by Rasa's own
        `_parse_message_with_graph`); None for any other message."""
        graph = SimpleNamespace(graph_runner=self,
                                model_metadata=SimpleNamespace(nlu_target=self.target))
        parse_data = MessageProcessor._parse_message_with_graph(
            graph, message, None, only_output_properties)
        return parse_data if parse_data[INTENT][INTENT_NAME_KEY] == EMERGENCY_INTENT else None


def _model_archive(model_path: Any) -> Text:
    """The model file MessageProcessor loads for `model_path` (a file, or a folder of models)."""
    return str(model_path) if os.path.isfile(model_path) else get_latest_model(str(model_path))


def _start_worker(processor: MessageProcessor, archive: Text) -> NLUWorker:
    worker = NLUWorker(archive)
    processor._nlu_worker = worker
    return worker


def retire(processor: MessageProcessor) -> None:
    """Stop the worker of a processor just replaced by another model's, once the
    messages it started on have been read. Agent.handle_message takes the
    processor after the conversation's lock, then reads the message within
    milliseconds: a few seconds' grace covers every message already begun."""
    asyncio.get_running_loop().call_later(RETIRE_AFTER_SECONDS, processor._nlu_worker.stop)


def __init__(self: MessageProcessor, model_path: Any, *args: Any, **kwargs: Any) -> None:
    if kwargs.get("http_interpreter"):
        rasas_init(self, model_path, *args, **kwargs)
        return
    worker = _start_worker(self, _model_archive(model_path))  # loads while Rasa loads
    try:
        rasas_init(self, model_path, *args, **kwargs)
        worker.wait_until_loaded()
    except BaseException:
        worker.stop()
        raise
    self._nlu_worker_restart = asyncio.Lock()
    self._red_flags = RedFlagGraph()
    self._nlu_max_tokens = settings.nlu_max_tokens()


async def _restarted_worker(self: MessageProcessor, dead: NLUWorker) -> NLUWorker:
    async with self._nlu_worker_restart:
        if self._nlu_worker is dead:  # else another message restarted it already
            logger.error("The NLU worker process of model %s stopped; starting another",
                         Path(dead.archive).name)
            dead.stop()
            worker = _start_worker(self, dead.archive)
            await asyncio.get_running_loop().run_in_executor(None, worker.wait_until_loaded)
    return self._nlu_worker


async def parse_message(self: MessageProcessor, message: UserMessage,
                        tracker: Optional[DialogueStateTracker] = None,
                        only_output_properties: bool = True) -> Dict[Text, Any]:
    if self.http_interpreter:
        return await rasas_parse_message(self, message, tracker, only_output_properties)
    parse_data = self._red_flags.emergency(message, only_output_properties)
    if parse_data is None:
        parse_data = await _read_in_worker(self, message, only_output_properties)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


async def _read_in_worker(self: MessageProcessor, message: UserMessage,
                          only_output_properties: bool) -> Dict[Text, Any]:
    text = first_tokens(message.text, self._nlu_max_tokens) if message.text else message.text
    worker = self._nlu_worker
    try:
        parse_data = await worker.parse(text, message, only_output_properties)
    except BrokenProcessPool:
        worker = await _restarted_worker(self, worker)
        parse_data = await worker.parse(text, message, only_output_properties)
    if text != message.text:  # the entities' places hold in the whole text
        parse_data[TEXT] = message.text
    return parse_data


def install() -> None:
    library_versions.require("rasa")
    loader.load_predict_graph_runner = _load_dialogue_part_for_rasa
    MessageProcessor.__init__ = __init__
    MessageProcessor.parse_message = parse_message
