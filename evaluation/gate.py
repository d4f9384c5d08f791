"""Quality gate: fail when the held-out figures are below the agreed floors.

    python -m evaluation.gate [results/heldout]

Run by `make test` after `python -m evaluation.heldout`.
"""
import sys
from pathlib import Path
from typing import List

from evaluation.heldout import RESULTS
from evaluation.nlu_report import NluReport

MIN_ACCURACY = 0.95
MIN_MACRO_F1 = 0.95
# A missed emergency or a patient who asked for a person and didn't get one is
# never acceptable: these intents must be recognised every time.
MUST_NEVER_MISS = ("report_emergency", "request_human")


def failures(report: NluReport) -> List[str]:
    found = []
    if report.accuracy < MIN_ACCURACY:
        found.append(f"held-out accuracy {report.accuracy:.3f} is below {MIN_ACCURACY}")
    if report.macro_f1 < MIN_MACRO_F1:
        found.append(f"held-out macro-F1 {report.macro_f1:.3f} is below {MIN_MACRO_F1}")
    for intent in MUST_NEVER_MISS:
        scores = report.intents.get(intent)
        if scores is None:
            found.append(f"the held-out set has no {intent} messages")
        elif scores.recall < 1.0:
            missed = [e["text"] for e in report.errors if e["intent"] == intent]
            found.append(f"{intent} recall {scores.recall:.3f} is below 1.0; missed: {missed}")
    return found


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    problems = failures(NluReport.read(folder))
    for problem in problems:
        print(f"GATE FAILED {problem}")
    if not problems:
        print(f"Quality gate passed (accuracy >= {MIN_ACCURACY}, macro-F1 >= {MIN_MACRO_F1}, "
              f"recall 1.0 for {', '.join(MUST_NEVER_MISS)})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
