"""Read the intent report `rasa test nlu` writes, and print its figures."""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List


@dataclass(frozen=True)
class IntentScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class NluReport:
    accuracy: float
    macro_f1: float
    intents: Dict[str, IntentScores]
    errors: List[dict]  # misclassified messages: text, intent, intent_prediction

    @classmethod
    def read(cls, folder: Path) -> "NluReport":
        report = json.loads((folder / "intent_report.json").read_text())
        errors_file = folder / "intent_errors.json"
        errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
        intents = {
            name: IntentScores(s["precision"], s["recall"], s["f1-score"], s["support"])
            for name, s in report.items()
            if isinstance(s, dict) and "support" in s and not name.endswith(" avg")
        }
        return cls(report["accuracy"], report["macro avg"]["f1-score"], intents, errors)

    def print(self, title: str) -> None:
        print(f"{title}: accuracy {self.accuracy:.3f}, macro-F1 {self.macro_f1:.3f}")
        print(f"  {'intent':38} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>4}")
        for name, s in sorted(self.intents.items()):
            print(f"  {name:38} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.support:4d}")
        if self.errors:
            print(f"  misclassified ({len(self.errors)}):")
            for error in self.errors:
                predicted = error["intent_prediction"]
                print(f"    {error['intent']} -> {predicted['name']} "
                      f"({predicted['confidence']:.2f}): {error['text']}")
