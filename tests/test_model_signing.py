"""A Rasa server loads only models our training signed, from its models folder,
unchanged since (clinic/model_signing.py): through the model loader's route,
with the API token, and at start. A model is pickled code: whoever could put a
file anywhere on disk, or into models/ without the signing key, must not get
it loaded."""
import asyncio
import hashlib
import hmac
import os
import shutil
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from clinic import model_signing
from clinic.local_servers import http, rasa_server_command
from clinic.model_metadata import ModelMetadata, file_sha256
from clinic.rasa_api import RasaApi
from clinic.settings import PROJECT_ROOT


def fake_training(source: Path, model: Path, sign: bool = True) -> ModelMetadata:
    """`source`'s model and metadata as `model`, signed as our training signs."""
    shutil.copy(source, model)
    metadata = replace(ModelMetadata.read(source), model_sha256=file_sha256(model),
                       signature="")
    metadata = model_signing.signed(metadata, model) if sign else metadata
    metadata.write(model)
    return metadata


@pytest.fixture
def in_models_folder(trained_model) -> Iterator[Path]:
    """A name in the server's models folder; whatever the test puts there goes."""
    name = trained_model.parent / f"test-{uuid.uuid4().hex[:8]}"
    yield name
    for path in trained_model.parent.glob(f"{name.name}*"):
        path.unlink()


def running_model(stack) -> str:
    return asyncio.run(RasaApi(stack.rasa_url, stack.api_token).model_file())


def load(stack, model: Path):
    return http("POST", f"{stack.rasa_url}/webhooks/model_loader/load?token={stack.api_token}",
                {"model_file": str(model)})


def test_a_model_outside_the_models_folder_is_refused_even_signed(
        rasa_server, trained_model, tmp_path, in_models_folder):
    outside = tmp_path / trained_model.name
    fake_training(trained_model, outside)
    link = Path(f"{in_models_folder}.tar.gz")
    link.symlink_to(outside)
    ModelMetadata.path_for(link).symlink_to(ModelMetadata.path_for(outside))

    climbing_out = trained_model.parent / os.path.relpath(outside, trained_model.parent)
    assert ".." in climbing_out.parts and climbing_out.is_file()
    for path in (outside, link, climbing_out):
        status, answer = load(rasa_server, path)
        assert (status, "is not in the models folder" in answer["error"]) == (400, True), answer
    assert running_model(rasa_server) == trained_model.name


def test_a_path_the_system_refuses_gets_an_answer_and_the_token_stays_out_of_the_log(
        rasa_server, trained_model, tmp_path):
    loop = tmp_path / "loop.tar.gz"
    loop.symlink_to(loop)
    for path in (loop, f"{trained_model.parent}/with\u0000nul.tar.gz",
                 trained_model.parent / f"{'x' * 300}.tar.gz"):
        status, answer = load(rasa_server, path)
        assert status == 400, answer
    log = (rasa_server.settings.path.parent / "Rasa-server.log").read_text()
    assert rasa_server.api_token not in log
    assert running_model(rasa_server) == trained_model.name


def test_a_model_in_the_folder_without_the_machine_s_signature_is_refused(
        rasa_server, trained_model, in_models_folder):
    unsigned, foreign, renamed, changed, rehashed = (
        Path(f"{in_models_folder}-{case}.tar.gz")
        for case in ("unsigned", "foreign", "renamed", "changed", "rehashed"))
    fake_training(trained_model, unsigned, sign=False)
    # Signed with a key of the attacker's own.
    metadata = fake_training(trained_model, foreign, sign=False)
    replace(metadata, signature=hmac.new(b"attacker's key", f"{foreign.name}\0"
                                         f"{metadata.model_sha256}".encode(),
                                         hashlib.sha256).hexdigest()).write(foreign)
    # A signed model under another name (the signature covers the name).
    fake_training(trained_model, Path(f"{in_models_folder}-original.tar.gz"))
    Path(f"{in_models_folder}-original.tar.gz").rename(renamed)
    ModelMetadata.path_for(Path(f"{in_models_folder}-original.tar.gz")).rename(
        ModelMetadata.path_for(renamed))
    # Changed after training, and changed with its recorded hash changed too.
    fake_training(trained_model, changed)
    with changed.open("ab") as file:
        file.write(b"\0")
    # Its own signed metadata, only the hash changed: the signature covers the hash.
    signed_rehashed = fake_training(trained_model, rehashed)
    with rehashed.open("ab") as file:
        file.write(b"\0")
    replace(signed_rehashed, model_sha256=file_sha256(rehashed)).write(rehashed)

    for model, reason in [(unsigned, "trained before models were signed: retrain it"),
                          (foreign, "not signed by this machine's training"),
                          (renamed, "not signed by this machine's training"),
                          (changed, "has changed since it was trained"),
                          (rehashed, "not signed by this machine's training"),
                          (Path(f"{in_models_folder}-missing.tar.gz"), "no model file")]:
        status, answer = load(rasa_server, model)
        assert (status, reason in answer["error"]) == (400, True), (model.name, answer)
    assert running_model(rasa_server) == trained_model.name


def test_the_server_does_not_start_with_an_unsigned_model(
        rasa_server, trained_model, in_models_folder):
    unsigned = Path(f"{in_models_folder}-unsigned.tar.gz")
    fake_training(trained_model, unsigned, sign=False)
    command = rasa_server_command(unsigned, 5, "http://127.0.0.1")

    started = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, **rasa_server.env},
                             capture_output=True, text=True, timeout=300)

    assert started.returncode == 1
    assert (f"Not starting with --model {unsigned}: {unsigned.name} was trained before "
            "models were signed: retrain it with `make train`") in started.stderr


def test_a_model_signed_on_one_machine_is_refused_with_another_s_key(
        trained_model, tmp_path, monkeypatch):
    model = tmp_path / trained_model.name
    fake_training(trained_model, model)
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))

    assert model_signing.trusted_model(str(model)) == model
    monkeypatch.setenv("MODEL_SIGNING_KEY_FILE", str(tmp_path / "another-machine-s-key"))
    with pytest.raises(model_signing.UntrustedModel, match="no model signing key"):
        model_signing.trusted_model(str(model))
    model_signing.signing_key(create=True)  # another machine's first training
    with pytest.raises(model_signing.UntrustedModel, match="not signed by this machine"):
        model_signing.trusted_model(str(model))
    assert (tmp_path / "another-machine-s-key").stat().st_mode & 0o777 == 0o600


def test_a_signing_key_others_can_read_is_refused(tmp_path, monkeypatch):
    key = tmp_path / "model-signing-key"
    monkeypatch.setenv("MODEL_SIGNING_KEY_FILE", str(key))
    model_signing.signing_key(create=True)
    key.chmod(0o644)

    with pytest.raises(model_signing.UntrustedModel, match="readable by others"):
        model_signing.signing_key()
