"""The trained model's graph run by OrderedGraphRunner (clinic/graph_runner.py)
gives what Rasa's DaskGraphRunner gives: the same reading of a message and the
same next action, and the same refusal of an input named after a node."""
import tempfile
from pathlib import Path
from typing import Dict, Iterator, NamedTuple, Type

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.runner.interface import GraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.storage import ModelMetadata
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.graph_runner import OrderedGraphRunner

RUNNERS = (DaskGraphRunner, OrderedGraphRunner)


class Model(NamedTuple):
    metadata: ModelMetadata
    runners: Dict[Type[GraphRunner], GraphRunner]


@pytest.fixture(scope="module")
def model(trained_model: Path) -> Iterator[Model]:
    with tempfile.TemporaryDirectory() as folder:
        runners = {}
        for runner_class in RUNNERS:
            # Rasa unpacks into an existing folder only (as its own loader's temporary one).
            storage_path = Path(folder) / runner_class.__name__
            storage_path.mkdir()
            storage, metadata = LocalModelStorage.from_model_archive(
                storage_path=storage_path, model_archive_path=trained_model)
            runners[runner_class] = runner_class.create(
                graph_schema=metadata.predict_schema, model_storage=storage,
                execution_context=ExecutionContext(graph_schema=metadata.predict_schema,
                                                   model_id=metadata.model_id))
        yield Model(metadata, runners)


@pytest.mark.parametrize("text", ["how long does it take and does it hurt?",
                                  "my knee hurts, can it help?", "I can't breathe", ""])
def test_a_message_is_read_the_same(model: Model, text: str) -> None:
    target = model.metadata.nlu_target
    message = UserMessage(text, message_id="1")
    [dask_read], [ordered_read] = (
        model.runners[runner].run(inputs={PLACEHOLDER_MESSAGE: [message]}, targets=[target])[target]
        for runner in RUNNERS)
    assert ordered_read.as_dict(only_output_properties=True) == \
        dask_read.as_dict(only_output_properties=True)


@pytest.mark.parametrize("intent", ["ask_duration", "request_human", "report_emergency"])
def test_the_same_next_action_is_predicted(model: Model, intent: str) -> None:
    target = model.metadata.core_target
    tracker = DialogueStateTracker.from_events("patient", [
        ActionExecuted("action_session_start"), ActionExecuted("action_listen"),
        UserUttered("...", intent={"name": intent, "confidence": 1.0})])
    dask_prediction, ordered_prediction = (
        model.runners[runner].run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[target])[target]
        for runner in RUNNERS)
    assert ordered_prediction.probabilities == dask_prediction.probabilities
    assert ordered_prediction.policy_name == dask_prediction.policy_name
    assert max(ordered_prediction.probabilities) > 0.5  # a real prediction, not none


def test_an_input_named_after_a_node_is_refused(model: Model) -> None:
    target = model.metadata.nlu_target
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        model.runners[OrderedGraphRunner].run(inputs={"nlu_message_converter": []},
                                              targets=[target])
