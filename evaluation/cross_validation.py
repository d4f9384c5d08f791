"""5-fold cross-validation of the NLU pipeline on the training data.

    python -m evaluation.cross_validation    # trains 5 times; results/cross-validation/
"""
import subprocess
import sys
from pathlib import Path

from clinic.settings import PROJECT_ROOT
from evaluation.nlu_report import NluReport

RESULTS = PROJECT_ROOT / "results" / "cross-validation"
FOLDS = 5


def main() -> int:
    rasa = Path(sys.executable).parent / "rasa"
    subprocess.run(
        [str(rasa), "test", "nlu", "--nlu", "data/nlu", "--config", "config.yml",
         "--cross-validation", "--folds", str(FOLDS), "--out", str(RESULTS)],
        cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    NluReport.read(RESULTS).print(f"{FOLDS}-fold cross-validation (test folds)")
    print(f"Written to {RESULTS.relative_to(PROJECT_ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
