"""Train a model only when none matches the current training inputs.

A model is named after a hash of everything training reads (config, domain,
NLU data, stories, rules, and the locked dependency versions), so
`models/model-<hash>.tar.gz` exists exactly when it matches the inputs.

    python -m clinic.model_build ensure   # train if needed; print the model's path
    python -m clinic.model_build path     # print the path; fail if it isn't trained
"""
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List

from clinic.settings import PROJECT_ROOT

TRAINING_INPUTS = ("config.yml", "domain", "data", "requirements.lock",
                   "requirements-model.txt")
MODELS_DIR = PROJECT_ROOT / "models"


def _input_files(root: Path) -> Iterable[Path]:
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path = PROJECT_ROOT) -> Path:
    return MODELS_DIR / f"model-{fingerprint(root)}.tar.gz"


def train(out: Path, name: str) -> Path:
    """Train a model from config.yml, domain/ and data/ into `out`/`name`."""
    command = [
        str(Path(sys.executable).parent / "rasa"), "train", "--domain", "domain",
        "--out", str(out), "--fixed-model-name", name,
    ]
    # Rasa's own output goes to stderr so that stdout is only the model's path.
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, stdout=sys.stderr)
    return out / name


def ensure() -> Path:
    path = model_path()
    if path.exists():
        print(f"Model is up to date: {path}", file=sys.stderr)
        return path
    return train(MODELS_DIR, path.name)


def main(arguments: List[str]) -> int:
    command = arguments[0] if arguments else "ensure"
    if command == "ensure":
        print(ensure())
    elif command == "path":
        path = model_path()
        if not path.exists():
            print(f"No model for the current data; run `make train` ({path})", file=sys.stderr)
            return 1
        print(path)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
