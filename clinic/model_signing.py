"""Which model files a Rasa server may load. A model is pickled code: only one
our training built, in the models folder (MODELS_DIR), unchanged since.

Training records each model's SHA-256 in its metadata file beside it
(clinic/model_metadata.py) with an HMAC-SHA256 of the file's name and hash,
keyed with a secret only this machine's owner reads (MODEL_SIGNING_KEY_FILE,
made by the first training). Whoever can write a model file and its metadata,
but not read the key, can't make one the server loads, nor pass one model off
under another's name. Models trained before signing are refused: retrain them.
"""
import hmac
import hashlib
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

from clinic import settings
from clinic.model_metadata import ModelMetadata, file_sha256
from clinic.secret_files import ExposedSecret, create_secret, read_secret


class UntrustedModel(ValueError):
    """Not a model our training command built and signed, or changed since."""


def signing_key(create: bool = False) -> bytes:
    """The key in MODEL_SIGNING_KEY_FILE; `create`: make it if there is none."""
    path = settings.model_signing_key_file()
    if create:
        create_secret(path, secrets.token_hex(32) + "\n")
    try:
        return read_secret(path).encode()
    except ExposedSecret as error:
        raise UntrustedModel(f"the model signing key {error}") from None
    except FileNotFoundError:
        raise UntrustedModel(f"there is no model signing key ({path}): "
                             "train a model with `make train`") from None


def _signature(key: bytes, file_name: str, sha256: str) -> str:
    return hmac.new(key, f"{file_name}\0{sha256}".encode(), hashlib.sha256).hexdigest()


def signed(metadata: ModelMetadata, model: Path) -> ModelMetadata:
    """The metadata of a model training just wrote, with its hash signed."""
    return replace(metadata, signature=_signature(signing_key(create=True), model.name,
                                                  metadata.model_sha256))


def trusted_model(model_file: Any) -> Path:
    """The model file's resolved path, if it is in the models folder and our
    training signed its hash, which it still has; else UntrustedModel."""
    try:
        return _trusted_model(model_file)
    except UntrustedModel:
        raise
    # A path the system refuses (a NUL, a name too long, a loop of links): an
    # answer, not a 500 whose log line would carry the request's URL and token.
    except (OSError, ValueError, RuntimeError) as error:
        raise UntrustedModel(f"model_file can't be read ({type(error).__name__})") from None


def _trusted_model(model_file: Any) -> Path:
    if not isinstance(model_file, str) or not model_file.endswith(".tar.gz"):
        raise UntrustedModel("model_file must be the path of a trained model (.tar.gz)")
    # Resolved: no "..", and a symbolic link counts where it points.
    model = Path(model_file).resolve()
    folder = settings.models_dir().resolve()
    if model.parent != folder:
        raise UntrustedModel(f"{Path(model_file).name} is not in the models folder "
                             f"{folder}: only models trained there are loaded")
    if not model.is_file():
        raise UntrustedModel(f"no model file {model.name}")
    try:
        metadata = ModelMetadata.read(model)
    except (ValueError, TypeError, KeyError):  # not our JSON
        metadata = None
    if metadata is None or not metadata.model_sha256:
        raise UntrustedModel(f"{model.name} has no record of its hash: "
                             "train it with `make train`")
    if not metadata.signature:
        raise UntrustedModel(f"{model.name} was trained before models were signed: "
                             "retrain it with `make train`")
    expected = _signature(signing_key(), model.name, metadata.model_sha256)
    if not hmac.compare_digest(expected, metadata.signature):
        raise UntrustedModel(f"{model.name}'s record is not signed by this machine's "
                             "training: retrain it with `make train`")
    if not hmac.compare_digest(file_sha256(model), metadata.model_sha256):
        raise UntrustedModel(f"{model.name} has changed since it was trained")
    return model
