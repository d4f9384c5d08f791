"""What is known about one trained model, kept in a JSON file beside it.

`models/<version>.tar.gz` has `models/<version>.json`: what it was trained from
(hashes of its inputs, the git commit and whether the working tree had
uncommitted changes), when and by whom, and, once evaluated, its held-out figures.
"""
import getpass
import hashlib
import json
import subprocess
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Dict, Optional

from evaluation.nlu_report import NluReport


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class HeldoutFigures:
    evaluated_at: str
    heldout_hash: str  # the held-out set the figures are from: only the same set compares
    accuracy: float
    macro_f1: float
    intent_f1: Dict[str, float]

    @classmethod
    def from_report(cls, report: NluReport, heldout_hash: str, at: datetime) -> "HeldoutFigures":
        return cls(at.isoformat(timespec="seconds"), heldout_hash, report.accuracy,
                   report.macro_f1, {name: s.f1 for name, s in sorted(report.intents.items())})


@dataclass(frozen=True)
class GitState:
    commit: Optional[str]  # None outside a git checkout
    dirty: bool  # uncommitted changes to tracked files when the model was trained

    @classmethod
    def of(cls, root: Path) -> "GitState":
        def git(*arguments: str) -> str:
            return subprocess.run(["git", *arguments], cwd=root, capture_output=True,
                                  text=True, check=True).stdout.strip()
        try:
            return cls(git("rev-parse", "HEAD"),
                       bool(git("status", "--porcelain", "--untracked-files=no")))
        except (OSError, subprocess.CalledProcessError):
            return cls(None, False)


@dataclass(frozen=True)
class ModelMetadata:
    version: str
    trained_at: str
    trained_by: str
    training_seconds: float
    fingerprint: str  # of everything training reads; the model's name ends with it
    input_hashes: Dict[str, str]  # config, domain, data, documents, dependencies
    git: GitState
    # Of the model file as training wrote it: a running server loads only a
    # file that still has this hash (clinic/model_loading.py).
    model_sha256: str = ""
    # HMAC of the file's name and model_sha256 with this machine's signing key
    # (clinic/model_signing.py); empty in models trained before signing.
    signature: str = ""
    heldout: Optional[HeldoutFigures] = field(default=None)

    @staticmethod
    def path_for(model: Path) -> Path:
        return model.with_name(model.name[:-len(".tar.gz")] + ".json")

    @classmethod
    def new(cls, model: Path, trained_at: datetime, seconds: float, fingerprint: str,
            input_hashes: Dict[str, str], git: GitState) -> "ModelMetadata":
        return cls(model.name[:-len(".tar.gz")], trained_at.isoformat(timespec="seconds"),
                   getpass.getuser(), round(seconds, 1), fingerprint, input_hashes, git,
                   file_sha256(model))

    @classmethod
    def read(cls, model: Path) -> Optional["ModelMetadata"]:
        path = cls.path_for(model)
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        heldout = data.pop("heldout", None)
        return cls(**{**data, "git": GitState(**data["git"]),
                      "heldout": HeldoutFigures(**heldout) if heldout else None})

    def write(self, model: Path) -> None:
        self.path_for(model).write_text(json.dumps(asdict(self), indent=2) + "\n")

    def with_heldout(self, figures: HeldoutFigures) -> "ModelMetadata":
        return replace(self, heldout=figures)
