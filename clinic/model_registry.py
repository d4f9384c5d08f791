"""The trained model versions in models/ and their held-out evaluations.

Each version is `models/<version>.tar.gz` with `models/<version>.json` beside it
(clinic/model_metadata.py). Evaluating a version runs evaluation/heldout.py on
it, keeps Rasa's report in `results/models/<version>/` and its figures in the
metadata; figures count only for the held-out set they came from.
"""
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional, Tuple

from clinic import model_build
from clinic.model_metadata import HeldoutFigures, ModelMetadata
from clinic.settings import PROJECT_ROOT
from clinic.training_data_check import HELDOUT_DIR
from evaluation import heldout
from evaluation.nlu_report import NluReport

RESULTS_DIR = PROJECT_ROOT / "results" / "models"


class UnknownModel(Exception):
    pass


@dataclass(frozen=True)
class ModelVersion:
    path: Path
    metadata: ModelMetadata

    @property
    def name(self) -> str:
        return self.metadata.version


class ModelRegistry:
    def __init__(self, models_dir: Path = model_build.MODELS_DIR,
                 results_dir: Path = RESULTS_DIR, heldout_dir: Path = HELDOUT_DIR) -> None:
        self.models_dir = models_dir
        self.results_dir = results_dir
        self.heldout_dir = heldout_dir

    def versions(self) -> List[ModelVersion]:
        """Oldest first (names start with the training time)."""
        found = []
        for path in sorted(self.models_dir.glob("*.tar.gz")):
            metadata = ModelMetadata.read(path)
            if metadata:
                found.append(ModelVersion(path, metadata))
        return found

    def find(self, name: str) -> ModelVersion:
        """A version by its name, its file name or its path."""
        wanted = Path(name).name
        wanted = wanted[:-len(".tar.gz")] if wanted.endswith(".tar.gz") else wanted
        for version in self.versions():
            if version.name == wanted:
                return version
        raise UnknownModel(f"There is no model '{name}' in {self.models_dir}. "
                           "`make models` lists the trained models.")

    def heldout_hash(self) -> str:
        return model_build.digest(self.heldout_dir.parent, [self.heldout_dir.name])

    def evaluate(self, version: ModelVersion) -> Tuple[NluReport, ModelVersion]:
        """Evaluate on the held-out set now; record the figures in the metadata."""
        report = heldout.evaluate(version.path, self.results_dir / version.name,
                                  self.heldout_dir)
        figures = HeldoutFigures.from_report(report, self.heldout_hash(),
                                             datetime.now(timezone.utc))
        metadata = version.metadata.with_heldout(figures)
        metadata.write(version.path)
        return report, ModelVersion(version.path, metadata)

    def stored_report(self, version: ModelVersion) -> Optional[NluReport]:
        """The version's report on the current held-out set, if it has one."""
        figures = version.metadata.heldout
        folder = self.results_dir / version.name
        if (figures and figures.heldout_hash == self.heldout_hash()
                and (folder / "intent_report.json").exists()):
            return NluReport.read(folder)
        return None

    def report(self, version: ModelVersion) -> Tuple[NluReport, ModelVersion]:
        """The version's report on the current held-out set, evaluating it if needed
        (a model's figures on the same messages never change)."""
        stored = self.stored_report(version)
        if stored:
            return stored, version
        print(f"Evaluating {version.name} on the held-out messages...", flush=True)
        return self.evaluate(version)
