"""Evaluate the trained model on the held-out messages in tests/heldout/ (never trained on).

    python -m evaluation.heldout MODEL     # writes results/heldout/, prints figures

The report, the misclassified messages and the confusion-matrix PNG are in
results/heldout/ (intent_report.json, intent_errors.json, intent_confusion_matrix.png).
"""
import subprocess
import sys
from pathlib import Path

from clinic.settings import PROJECT_ROOT
from clinic.training_data_check import HELDOUT_DIR, load_examples
from evaluation.nlu_report import NluReport

RESULTS = PROJECT_ROOT / "results" / "heldout"


def evaluate(model: Path, out: Path = RESULTS, heldout: Path = HELDOUT_DIR) -> NluReport:
    rasa = Path(sys.executable).parent / "rasa"
    subprocess.run(
        [str(rasa), "test", "nlu", "--model", str(model), "--nlu", str(heldout),
         "--out", str(out)],
        cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return NluReport.read(out)


def print_accuracy_per_file(report: NluReport, heldout: Path = HELDOUT_DIR) -> None:
    """Each held-out file was written separately; their figures side by side."""
    wrong = {(error["intent"], error["text"]) for error in report.errors}
    for path in sorted(heldout.glob("*.yml")):
        examples = load_examples(path)
        right = sum((intent, text) not in wrong for intent, text in examples)
        print(f"  {path.name}: accuracy {right / len(examples):.3f} ({len(examples)} messages)")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    report = evaluate(Path(sys.argv[1]))
    report.print(f"Held-out sets ({HELDOUT_DIR.relative_to(PROJECT_ROOT)}/)")
    print_accuracy_per_file(report)
    print(f"Written to {RESULTS.relative_to(PROJECT_ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
