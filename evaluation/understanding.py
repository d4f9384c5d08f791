"""How well the assistant understands messages written by people who never saw
its training data.

    python -m evaluation.understanding MODEL [SET.yml ...]

Reads MODEL's NLU part in this process, as the server's NLU worker does
(clinic/nlu_process.py), parses every message of each set (default: the held-out
sets A, B, C, then blind_dev and blind_d) and prints, per set: all-intent and
page-topic accuracy, recall of the intents that must never be missed, the share
of messages answered with a page topic the patient did not ask, and condition
entity precision, recall and F1. Writes results/understanding/<set>.json with the
figures and, except for blind_d (the reported set, which stays untuned), the
wrong messages.

A set's labels: an intent; `a+b`, a message asking two page topics (in either
order); `nlu_fallback`, a message so vague that the assistant should ask what
the patient means.
"""
import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.nlu.training_data.loading import load_data

from clinic.graph_runner import OrderedGraphRunner
from clinic.nlu_process import load_nlu_part
from clinic import settings
from clinic.answers import answered_from_pages, load_topics
from clinic.condition_words import is_condition_word
from clinic.message_parts import ALSO_ASKED
from clinic.settings import PROJECT_ROOT
from clinic.training_data_check import HELDOUT_DIR

UNDERSTANDING_DIR = PROJECT_ROOT / "tests" / "understanding"
REPORTED_SET = UNDERSTANDING_DIR / "blind_d.yml"
DEFAULT_SETS = [HELDOUT_DIR / "nlu_heldout.yml", HELDOUT_DIR / "nlu_heldout_b.yml",
                HELDOUT_DIR / "nlu_heldout_c.yml", UNDERSTANDING_DIR / "blind_dev.yml",
                REPORTED_SET]
RESULTS = PROJECT_ROOT / "results" / "understanding"

# The topics answered from the pages, as content/topics.yml lists them.
PAGE_TOPICS = frozenset(answered_from_pages(load_topics(settings.topics_file())))
FALLBACK = "nlu_fallback"
SEPARATOR = "+"
CONDITION = "condition"
# A missed emergency, or a request for a person that gets no person, is never acceptable.
MUST_NEVER_MISS = ("report_emergency", "request_human")


@dataclass(frozen=True)
class Labelled:
    label: str
    text: str
    conditions: Tuple[str, ...]  # the annotated condition spans, normalised


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    also_asked: Tuple[str, ...] = ()
    conditions: Tuple[str, ...] = ()  # the predicted condition spans, normalised


def normalised_span(text: str, entity: Dict[str, Any]) -> str:
    """The words an entity covers in the message, compared without case or outer spaces."""
    words = text[entity["start"]:entity["end"]] if "start" in entity else str(entity["value"])
    return words.strip().lower()


def conditions_in(text: str, entities: Iterable[Dict[str, Any]]) -> Tuple[str, ...]:
    return tuple(normalised_span(text, e) for e in entities if e.get("entity") == CONDITION)


def load_set(path: Path) -> List[Labelled]:
    data = load_data(str(path))
    return [Labelled(m.get("intent"), m.get("text"), conditions_in(m.get("text"),
                                                                   m.get("entities") or []))
            for m in data.intent_examples]


def prediction_from_parse(parse_data: Dict[str, Any]) -> Prediction:
    """What the assistant understood, from Rasa's parse data (old or new two-topic design)."""
    entities = parse_data.get("entities") or []
    return Prediction(
        intent=parse_data["intent"]["name"],
        confidence=parse_data["intent"].get("confidence") or 0.0,
        also_asked=tuple(e["value"] for e in entities if e.get("entity") == ALSO_ASKED),
        conditions=conditions_in(parse_data.get("text") or "", entities))


def labelled_topics(label: str) -> FrozenSet[str]:
    return frozenset(label.split(SEPARATOR))


def predicted_topics(prediction: Prediction) -> FrozenSet[str]:
    """The intent split on "+" and the also_asked topics; a fallback answers nothing."""
    if prediction.intent == FALLBACK:
        return frozenset({FALLBACK})
    return labelled_topics(prediction.intent) | frozenset(prediction.also_asked)


def is_right(label: str, prediction: Prediction) -> bool:
    return predicted_topics(prediction) == labelled_topics(label)


def asks_page_topics(label: str) -> bool:
    return labelled_topics(label) <= PAGE_TOPICS


def confident_wrong_topic(label: str, prediction: Prediction) -> bool:
    """Answered (not a fallback) with a page topic the patient did not ask."""
    unasked = predicted_topics(prediction) - labelled_topics(label)
    return prediction.intent != FALLBACK and bool(unasked & PAGE_TOPICS)


def share(hits: Sequence[bool]) -> Optional[float]:
    return sum(hits) / len(hits) if hits else None


def recall(pairs: Sequence[Tuple[Labelled, Prediction]], intent: str) -> Optional[float]:
    return share([intent in predicted_topics(p) for m, p in pairs if m.label == intent])


def condition_scores(pairs: Sequence[Tuple[Labelled, Prediction]]) -> Dict[str, Optional[float]]:
    """Entity-level precision, recall and F1: a predicted condition is right when the
    message has an annotated condition with the same words."""
    found = labelled = predicted = 0
    for message, prediction in pairs:
        found += sum((Counter(message.conditions) & Counter(prediction.conditions)).values())
        labelled += len(message.conditions)
        predicted += len(prediction.conditions)
    if not labelled:  # a set not annotated with conditions (A, B, C) can't score them
        return {"precision": None, "recall": None, "f1": None}
    precision = found / predicted if predicted else 0.0
    recall_ = found / labelled
    f1 = 2 * precision * recall_ / (precision + recall_) if found else 0.0
    return {"precision": precision, "recall": recall_, "f1": f1}


def junk_conditions(predictions: Iterable[Prediction]) -> int:
    """Predicted conditions that are punctuation or a stop word (never a condition)."""
    return sum(not is_condition_word(c) for p in predictions for c in p.conditions)


def figures(pairs: Sequence[Tuple[Labelled, Prediction]]) -> Dict[str, Any]:
    page = [is_right(m.label, p) for m, p in pairs if asks_page_topics(m.label)]
    return {
        "messages": len(pairs),
        "all_intents_accuracy": share([is_right(m.label, p) for m, p in pairs]),
        "page_topic_accuracy": share(page),
        "page_topic_messages": len(page),
        "recall": {intent: recall(pairs, intent) for intent in MUST_NEVER_MISS},
        "confident_wrong_topic": share([confident_wrong_topic(m.label, p) for m, p in pairs]),
        "conditions": {**condition_scores(pairs),
                       "punctuation_or_stop_words": junk_conditions(p for _, p in pairs)},
    }


def wrong_messages(pairs: Sequence[Tuple[Labelled, Prediction]]) -> List[Dict[str, Any]]:
    """Messages with the wrong topics, or with conditions other than the annotated ones."""
    return [{"label": m.label, "prediction": SEPARATOR.join((p.intent, *p.also_asked)),
             "confidence": round(p.confidence, 3), "text": m.text,
             "conditions": list(m.conditions), "predicted_conditions": list(p.conditions)}
            for m, p in pairs
            if not is_right(m.label, p) or Counter(m.conditions) != Counter(p.conditions)]


Reader = Callable[[List[str]], List[Prediction]]


def model_reader(model: Path) -> Reader:
    """The model's NLU part, loaded here as the server's NLU worker loads it."""
    with tempfile.TemporaryDirectory() as storage:
        metadata, runner = load_nlu_part(Path(storage), model, LocalModelStorage,
                                         OrderedGraphRunner)
    graph = SimpleNamespace(graph_runner=runner, model_metadata=metadata)

    def read(texts: List[str]) -> List[Prediction]:
        return [prediction_from_parse(MessageProcessor._parse_message_with_graph(
            graph, UserMessage(text), None, True)) for text in texts]
    return read


def evaluate(read: Reader, path: Path) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """The set's figures and its wrong messages."""
    messages = load_set(path)
    pairs = list(zip(messages, read([m.text for m in messages])))
    return figures(pairs), wrong_messages(pairs)


def write(path: Path, model: Path, set_figures: Dict[str, Any],
          wrong: List[Dict[str, Any]]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{path.stem}.json"
    report = {"set": path.stem, "model": model.name, **set_figures}
    if path.resolve() != REPORTED_SET.resolve():  # nobody reads D's errors by accident
        report["wrong"] = wrong
    out.write_text(json.dumps(report, indent=2) + "\n")


def number(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def header(first: str) -> str:
    return (f"{first:14} {'n':>4} {'all':>6} {'page':>6} {'emerg':>6} {'human':>6} "
            f"{'wrong':>6} {'cond P':>6} {'cond R':>6} {'cond F1':>7} {'junk':>4}")


def row(name: str, f: Dict[str, Any]) -> str:
    c = f["conditions"]
    return (f"{name:14} {f['messages']:4d} {number(f['all_intents_accuracy']):>6} "
            f"{number(f['page_topic_accuracy']):>6} "
            f"{number(f['recall']['report_emergency']):>6} "
            f"{number(f['recall']['request_human']):>6} "
            f"{number(f['confident_wrong_topic']):>6} {number(c['precision']):>6} "
            f"{number(c['recall']):>6} {number(c['f1']):>7} {c['punctuation_or_stop_words']:4d}")


LEGEND = ("all: all-intent accuracy; page: page-topic accuracy; emerg, human: recall of "
          "report_emergency, request_human;\nwrong: share of messages answered with a page "
          "topic not asked; cond: condition entities; junk: predicted conditions that are "
          "punctuation or stop words")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    model = Path(sys.argv[1])
    sets = [Path(p) for p in sys.argv[2:]] or DEFAULT_SETS
    read = model_reader(model)
    print(f"Model {model.name}\n{header('set')}")
    for path in sets:
        set_figures, wrong = evaluate(read, path)
        write(path, model, set_figures, wrong)
        print(row(path.stem, set_figures), flush=True)
    print(f"{LEGEND}\nWritten to {RESULTS.relative_to(PROJECT_ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
