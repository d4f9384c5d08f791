"""Evaluate the trained model on the held-out messages (never used for training).

    python -m evaluation.heldout MODEL     # writes results/heldout/, prints figures

The report, the misclassified messages and the confusion-matrix PNG are in
results/heldout/ (intent_report.json, intent_errors.json, intent_confusion_matrix.png).
"""
import subprocess
import sys
from pathlib import Path

from clinic.settings import PROJECT_ROOT
from evaluation.nlu_report import NluReport

HELDOUT_FILE = PROJECT_ROOT / "tests" / "heldout" / "nlu_heldout.yml"
RESULTS = PROJECT_ROOT / "results" / "heldout"


def evaluate(model: Path, out: Path = RESULTS) -> NluReport:
    rasa = Path(sys.executable).parent / "rasa"
    subprocess.run(
        [str(rasa), "test", "nlu", "--model", str(model), "--nlu", str(HELDOUT_FILE),
         "--out", str(out)],
        cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return NluReport.read(out)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    evaluate(Path(sys.argv[1])).print(f"Held-out set ({HELDOUT_FILE.name})")
    print(f"Written to {RESULTS.relative_to(PROJECT_ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
