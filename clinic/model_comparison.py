"""A new model beside the live one, on the same held-out messages: which
intents got better or worse, which messages changed their predicted intent, and
whether the new model may be promoted."""
from dataclasses import dataclass
from typing import Dict, List, Tuple

from clinic.model_metadata import HeldoutFigures
from evaluation.nlu_report import NluReport

# An F1 change smaller than this is rounding, not a change worth listing.
NOTICEABLE = 0.0005


@dataclass(frozen=True)
class ChangedPrediction:
    text: str
    intent: str  # what the message means (its label in the held-out set)
    live: str  # the live model's prediction
    new: str  # the new model's prediction


def _predictions(report: NluReport) -> Dict[Tuple[str, str], str]:
    """(intent, text) -> predicted intent, for the misclassified messages; every
    other message was predicted as its own intent."""
    return {(e["intent"], e["text"]): e["intent_prediction"]["name"] for e in report.errors}


def changed_predictions(live: NluReport, new: NluReport) -> List[ChangedPrediction]:
    live_wrong, new_wrong = _predictions(live), _predictions(new)
    changed = []
    for intent, text in sorted(set(live_wrong) | set(new_wrong)):
        before = live_wrong.get((intent, text), intent)
        after = new_wrong.get((intent, text), intent)
        if before != after:
            changed.append(ChangedPrediction(text, intent, before, after))
    return changed


def f1_changes(live: HeldoutFigures, new: HeldoutFigures) -> Dict[str, float]:
    """Intent -> new F1 minus live F1, for the intents whose F1 changed (an
    intent one model has no figure for counts as 0 there)."""
    changes = {}
    for intent in sorted(set(live.intent_f1) | set(new.intent_f1)):
        delta = new.intent_f1.get(intent, 0.0) - live.intent_f1.get(intent, 0.0)
        if abs(delta) >= NOTICEABLE:
            changes[intent] = delta
    return changes


def promotion_problems(live: HeldoutFigures, new: HeldoutFigures, margin: float) -> List[str]:
    """Why the new model may not replace the live one: its accuracy, or an
    intent's F1, is more than `margin` below the live model's. Empty when it may."""
    problems = []
    if new.accuracy < live.accuracy - margin:
        problems.append(f"held-out accuracy {new.accuracy:.3f} is below the live model's "
                        f"{live.accuracy:.3f} by more than {margin}")
    for intent, live_f1 in sorted(live.intent_f1.items()):
        new_f1 = new.intent_f1.get(intent, 0.0)
        if new_f1 < live_f1 - margin:
            problems.append(f"{intent} F1 {new_f1:.3f} is below the live model's "
                            f"{live_f1:.3f} by more than {margin}")
    return problems


def print_comparison(live_version: str, live: NluReport, live_figures: HeldoutFigures,
                     new: NluReport, new_figures: HeldoutFigures) -> None:
    print(f"Compared with the live model {live_version}:")
    print(f"  accuracy {live_figures.accuracy:.3f} -> {new_figures.accuracy:.3f} "
          f"({new_figures.accuracy - live_figures.accuracy:+.3f}), "
          f"macro-F1 {live_figures.macro_f1:.3f} -> {new_figures.macro_f1:.3f} "
          f"({new_figures.macro_f1 - live_figures.macro_f1:+.3f})")
    changes = f1_changes(live_figures, new_figures)
    for heading, chosen in (("better", lambda d: d > 0), ("worse", lambda d: d < 0)):
        intents = {i: d for i, d in changes.items() if chosen(d)}
        print(f"  intents {heading} ({len(intents)}):" + ("" if intents else " none"))
        for intent, delta in sorted(intents.items(), key=lambda item: -abs(item[1])):
            print(f"    {intent:38} F1 {live_figures.intent_f1.get(intent, 0.0):.3f} -> "
                  f"{new_figures.intent_f1.get(intent, 0.0):.3f} ({delta:+.3f})")
    changed = changed_predictions(live, new)
    print(f"  held-out messages whose predicted intent changed ({len(changed)}):"
          + (" live model's intent -> new model's intent" if changed else " none"))
    for change in changed:
        verdict = "now right" if change.new == change.intent else (
            "now wrong" if change.live == change.intent else "still wrong")
        print(f"    [{verdict}] {change.live} -> {change.new} (means {change.intent}): "
              f"{change.text}")
