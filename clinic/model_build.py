"""Train a model only when none matches the current training inputs.

A model's name is its version: the time it was trained (UTC) and a hash of
everything training reads (config, domain, NLU data, stories, rules, and the
locked dependency versions), e.g. `models/2026-11-26-1532-e1e8cb2f7430eb6e.tar.gz`.
So a model matching the inputs exists exactly when a name ends with their hash.
Beside each model, `<version>.json` records its provenance (clinic/model_metadata.py).

    python -m clinic.model_build ensure   # train if needed; print the model's path
    python -m clinic.model_build path     # print the path; fail if it isn't trained
"""
import hashlib
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from clinic import model_signing
from clinic.model_metadata import GitState, ModelMetadata
from clinic.settings import PROJECT_ROOT

TRAINING_INPUTS = ("config.yml", "domain", "data", "requirements.lock",
                   "requirements-model.txt")
# Recorded with each model, part by part. The documents (content/) are read by
# the actions and the red-flag check at run time, so they don't make a new model.
RECORDED_INPUTS = {"config": ("config.yml",), "domain": ("domain",), "data": ("data",),
                   "documents": ("content",),
                   "dependencies": ("requirements.lock", "requirements-model.txt")}
MODELS_DIR = PROJECT_ROOT / "models"


def _input_files(root: Path, names: Sequence[str]) -> Iterable[Path]:
    for name in names:
        path = root / name
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path


def digest(root: Path, names: Sequence[str]) -> str:
    """A hash of the files (and folders of files) `names` under `root`, with their paths."""
    hashed = hashlib.sha256()
    for path in _input_files(root, names):
        hashed.update(str(path.relative_to(root)).encode())
        hashed.update(b"\0")
        hashed.update(path.read_bytes())
        hashed.update(b"\0")
    return hashed.hexdigest()[:16]


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    return digest(root, TRAINING_INPUTS)


def find_model(root: Path = PROJECT_ROOT, models_dir: Path = MODELS_DIR) -> Optional[Path]:
    """The newest model trained from the inputs as they are now, if any. Its
    metadata is written last, so a model without it is not (yet) a version."""
    matching = sorted(models_dir.glob(f"*-{fingerprint(root)}.json"))
    return matching[-1].with_name(matching[-1].stem + ".tar.gz") if matching else None


def model_path(root: Path = PROJECT_ROOT) -> Path:
    """The model for the current inputs; when there is none, the name training would give it."""
    return find_model(root) or MODELS_DIR / _version_name(datetime.now(timezone.utc), root)


def _version_name(at: datetime, root: Path) -> str:
    return f"{at:%Y-%m-%d-%H%M}-{fingerprint(root)}.tar.gz"


def train(out: Path, name: str, root: Path = PROJECT_ROOT) -> Path:
    """Train a model from root's config.yml, domain/ and data/ into `out`/`name`."""
    command = [
        str(Path(sys.executable).parent / "rasa"), "train", "--domain", "domain",
        "--out", str(out), "--fixed-model-name", name,
    ]
    # Our own pipeline components (clinic.*) import from the project, wherever root is.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    # Rasa's own output (its progress) goes to stderr so that stdout is only the model's path.
    subprocess.run(command, cwd=root, env=env, check=True, stdout=sys.stderr)
    return out / name


def train_version(root: Path = PROJECT_ROOT, models_dir: Path = MODELS_DIR) -> Path:
    """Train a new version from the inputs in `root`, with its metadata beside it."""
    started_at, started = datetime.now(timezone.utc), time.monotonic()
    hashes = input_hashes(root)
    git = GitState.of(root)
    model = train(models_dir, _version_name(started_at, root), root)
    metadata = ModelMetadata.new(model, started_at, time.monotonic() - started,
                                 fingerprint(root), hashes, git)
    model_signing.signed(metadata, model).write(model)
    return model


def input_hashes(root: Path) -> Dict[str, str]:
    return {part: digest(root, names) for part, names in RECORDED_INPUTS.items()}


def ensure() -> Path:
    path = find_model()
    if path:
        try:
            model_signing.trusted_model(str(path))
        except model_signing.UntrustedModel as problem:
            print(f"Training again: {problem}", file=sys.stderr)
        else:
            print(f"Model is up to date: {path}", file=sys.stderr)
            return path
    return train_version()


def main(arguments: List[str]) -> int:
    command = arguments[0] if arguments else "ensure"
    if command == "ensure":
        print(ensure())
    elif command == "path":
        path = find_model()
        if not path:
            print("No model for the current data; run `make train`", file=sys.stderr)
            return 1
        print(path)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
