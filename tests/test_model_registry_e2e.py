"""End to end, on a small copy of the data with a fast pipeline (seconds to
train): two versions trained once per module, a good one and a worse one (a
few intents down to one example); evaluate compares them, promote refuses the
worse one unless overridden, and promote and rollback switch the model of a real
running Rasa server while a patient's conversation stays open."""
import asyncio
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

import pytest

from clinic import model_build, model_commands, nlu_process
from clinic.database import Database
from clinic.live_model import LiveModels
from clinic.local_servers import free_port, http, running_stack
from clinic.model_metadata import ModelMetadata
from clinic.model_registry import ModelRegistry
from clinic.model_switch import RasaServers
from clinic.rasa_api import RasaApi
from evaluation.benchmark import child_pids
from tests.small_project import examples_by_intent, nlu_yaml, small_project

TRAINING_EXAMPLES = 12  # per intent, from data/nlu/
HELDOUT_EXAMPLES = 6  # the next ones, never trained on by either version
WEAKENED = ("ask_cost", "ask_appointment", "ask_duration")  # one example each in the worse one
MARGIN = 0.02


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> ModelRegistry:
    folder = tmp_path_factory.mktemp("registry")
    by_intent = examples_by_intent()
    training = {i: texts[:TRAINING_EXAMPLES] for i, texts in by_intent.items()}
    worse = {i: texts[:1] if i in WEAKENED else texts for i, texts in training.items()}
    heldout = {i: texts[TRAINING_EXAMPLES:TRAINING_EXAMPLES + HELDOUT_EXAMPLES]
               for i, texts in by_intent.items() if "+" not in i}
    (folder / "heldout").mkdir()
    (folder / "heldout" / "heldout.yml").write_text(nlu_yaml(heldout))
    roots = [small_project(folder / "good", training), small_project(folder / "worse", worse)]
    # Both at once: most of a training or evaluation run is Rasa starting up, on one core.
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda root: model_build.train_version(root, folder / "models"), roots))
        registry = ModelRegistry(folder / "models", folder / "results", folder / "heldout")
        list(pool.map(registry.evaluate, registry.versions()))
    return registry


@pytest.fixture(scope="module")
def versions(registry):
    """(good, worse), by the data each was trained from."""
    good_data = model_build.input_hashes(registry.models_dir.parent / "good")["data"]
    found = registry.versions()
    assert len(found) == 2
    return tuple(sorted(found, key=lambda v: v.metadata.input_hashes["data"] != good_data))


@pytest.fixture(scope="module")
def stack(versions, tmp_path_factory):
    """The assistant as `make run` starts it before any promotion: on the good model."""
    folder = tmp_path_factory.mktemp("registry-stack")
    with running_stack(versions[0].path, folder,
                       f"sqlite:///{folder / 'conversations.db'}") as running:
        yield running


@pytest.fixture
def live_models(tmp_path) -> LiveModels:
    return LiveModels(Database(f"sqlite:///{tmp_path / 'clinic.db'}"))


def running_model(stack) -> str:
    return asyncio.run(RasaApi(stack.rasa_url, stack.api_token).model_file())


def tracker_texts(stack, sender: str) -> List[str]:
    status, tracker = http("GET", f"{stack.rasa_url}/conversations/{sender}/tracker"
                                  f"?token={stack.api_token}")
    assert status == 200
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


def test_training_records_a_version_with_its_provenance(versions):
    good, worse = versions
    for version in versions:
        assert version.path.exists()
        assert version.name.endswith(version.metadata.fingerprint)
        assert set(version.metadata.input_hashes) == {
            "config", "domain", "data", "documents", "dependencies"}
    assert good.metadata.input_hashes["config"] == worse.metadata.input_hashes["config"]
    assert good.metadata.input_hashes["data"] != worse.metadata.input_hashes["data"]


def test_evaluate_compares_with_the_live_model(registry, versions, live_models, capsys):
    good, worse = versions
    live_models.promoted(good.name, "tester", "baseline")

    assert model_commands.evaluate(registry, live_models, worse.name, MARGIN) == 0

    printed = capsys.readouterr().out
    assert f"Compared with the live model {good.name}:" in printed
    worse_section = printed.split("intents worse")[1].split("held-out messages")[0]
    assert any(intent in worse_section for intent in WEAKENED)
    assert "[now wrong]" in printed
    assert "Promote would refuse it" in printed
    assert registry.find(worse.name).metadata.heldout.accuracy < (
        registry.find(good.name).metadata.heldout.accuracy)


def test_promote_and_rollback_switch_a_running_server_under_an_open_conversation(
        registry, versions, stack, live_models, capsys):
    good, worse = versions
    servers = RasaServers([stack.rasa_url], stack.api_token)
    patient = "patient-registry-e2e"
    assert stack.send(patient, "hello")

    assert model_commands.promote(registry, live_models, servers, good.name,
                                  "first live model", "alice", False, MARGIN) == 0
    assert live_models.live() == good.name

    # The worse model is refused, and nothing changes.
    assert model_commands.promote(registry, live_models, servers, worse.name,
                                  "more examples", "bob", False, MARGIN) == 1
    assert "Promote would refuse it" in capsys.readouterr().out
    assert live_models.live() == good.name
    assert running_model(stack) == good.path.name

    # With the override it goes live on the running server, recorded as such.
    assert model_commands.promote(registry, live_models, servers, worse.name,
                                  "needed today", "bob", True, MARGIN) == 0
    assert running_model(stack) == worse.path.name
    assert live_models.live() == worse.name
    assert stack.send(patient, "what does prolotherapy treat")
    assert tracker_texts(stack, patient) == ["hello", "what does prolotherapy treat"]

    assert model_commands.rollback(registry, live_models, servers, "worse answers", "carol") == 0
    assert running_model(stack) == good.path.name
    assert stack.send(patient, "thanks")
    assert tracker_texts(stack, patient) == ["hello", "what does prolotherapy treat", "thanks"]

    history = [(d.action, d.version, d.by, d.reason, bool(d.overridden_checks))
               for d in live_models.history()]
    assert history == [
        ("promote", good.name, "alice", "first live model", False),
        ("promote", worse.name, "bob", "needed today", True),
        ("rollback", good.name, "carol", "worse answers", False),
    ]
    capsys.readouterr()
    model_commands.history(live_models)
    printed = capsys.readouterr().out
    assert "promoted (override)" in printed and "rolled back to" in printed
    assert printed.rstrip().endswith(f"Live now: {good.name}")


def test_a_conversation_goes_on_while_the_model_switches(registry, versions, stack, live_models):
    """Messages sent while promote and rollback load a model are all answered, in order."""
    good, worse = versions
    servers = RasaServers([stack.rasa_url], stack.api_token)
    patient = "patient-during-switch"
    assert model_commands.promote(registry, live_models, servers, good.name,
                                  "live before the chat", "dan", False, MARGIN) == 0
    switches = [lambda: model_commands.promote(registry, live_models, servers, worse.name,
                                               "during a chat", "dan", True, MARGIN),
                lambda: model_commands.rollback(registry, live_models, servers, "back", "dan")]
    sent = []
    with ThreadPoolExecutor(1) as pool:
        for switch in switches:
            switching = pool.submit(switch)
            while not switching.done() or len(sent) % 2:
                text = "hello" if len(sent) % 2 == 0 else "thanks"
                assert stack.send(patient, text), f"no answer to message {len(sent) + 1}"
                sent.append(text)
            assert switching.result() == 0
    assert running_model(stack) == good.path.name
    assert tracker_texts(stack, patient) == sent
    # Each switch started a new NLU worker process; the replaced ones stop.
    deadline = time.monotonic() + nlu_process.RETIRE_AFTER_SECONDS + 20
    while len(nlu_workers(stack)) > 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(nlu_workers(stack)) == 1


def nlu_workers(stack) -> List[int]:
    """The Rasa server's worker processes (clinic/nlu_process.py)."""
    return [pid for pid in child_pids(stack.processes["Rasa server"].pid)
            if b"spawn_main" in _command_line(pid)]


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:  # a retired worker that ended meanwhile
        return b""


def test_the_server_loads_only_models_our_training_built(versions, stack, tmp_path):
    good, _ = versions
    load = f"{stack.rasa_url}/webhooks/model_loader/load"
    tampered = tmp_path / good.path.name
    shutil.copy(good.path, tampered)
    shutil.copy(ModelMetadata.path_for(good.path), ModelMetadata.path_for(tampered))
    with tampered.open("ab") as file:
        file.write(b"\0")
    unrecorded = tmp_path / "unrecorded.tar.gz"
    shutil.copy(good.path, unrecorded)

    assert http("POST", load, {"model_file": str(good.path)})[0] == 401  # no API token
    # Outside the registry's models folder (tests/test_model_signing.py: inside it).
    for model, reason in [(tampered, "is not in the models folder"),
                          (unrecorded, "is not in the models folder"),
                          (good.path.with_name("missing.tar.gz"), "no model file"),
                          (tmp_path, "must be the path of a trained model")]:
        status, body = http("POST", f"{load}?token={stack.api_token}", {"model_file": str(model)})
        assert (status, reason in body["error"]) == (400, True), body
    assert running_model(stack) == good.path.name


def test_rasa_s_own_model_loading_routes_are_refused_even_with_the_token(versions, stack):
    good, _ = versions
    token = f"?token={stack.api_token}"
    for method, path, body in [("PUT", "/model", {"model_file": str(good.path)}),
                               ("DELETE", "/model", None),
                               ("POST", "/model/train", {}),
                               ("POST", "/model/test/intents", {})]:
        status, answer = http(method, f"{stack.rasa_url}{path}{token}", body)
        assert (status, "make promote" in answer["error"]) == (403, True), (path, answer)
    assert running_model(stack) == good.path.name
    # The rest of Rasa's API still answers.
    assert http("GET", f"{stack.rasa_url}/status{token}")[0] == 200


def test_promote_with_no_server_running_records_the_model_for_the_next_start(
        registry, versions, live_models, capsys):
    good, _ = versions
    stopped = f"http://127.0.0.1:{free_port()}"

    assert model_commands.promote(registry, live_models, RasaServers([stopped], "token"),
                                  good.name, "", "alice", False, MARGIN) == 0

    assert f"{stopped}: not running; it will start with {good.name}" in capsys.readouterr().out
    assert live_models.live() == good.name


def test_a_model_the_server_cannot_load_changes_nothing(
        registry, versions, stack, live_models, capsys):
    good, worse = versions
    live_models.promoted(good.name, "alice", "")
    wrong_token = RasaServers([stack.rasa_url], "not-the-token")

    assert model_commands.promote(registry, live_models, wrong_token, worse.name,
                                  "", "bob", True, MARGIN) == 1

    assert ("Rasa answered 401 to POST /webhooks/model_loader/load: the Rasa API token is "
            "required") in capsys.readouterr().out
    assert live_models.live() == good.name
