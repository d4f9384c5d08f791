"""Check the NLU training data against the rules the content team works to.

`python -m clinic.training_data_check` (part of `make validate`) reports:
- intents with fewer examples than their floor;
- the same message (ignoring case, punctuation and spacing) under two intents,
  or near-duplicates (almost the same words) within the training data;
- training messages that also appear in a held-out or blind set, which must stay
  unseen so that its accuracy means something;
- two-topic labels ("a+b"): the classifier learns single topics and finds two
  questions in a message by itself (clinic/intent_classifier.py).
"""
import itertools
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, FrozenSet, List, Tuple

from rasa.shared.nlu.training_data.loading import load_data

from clinic.settings import PROJECT_ROOT

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
# Every file in this folder is held out: written apart from the training data,
# never trained on, used only to evaluate.
HELDOUT_DIR = PROJECT_ROOT / "tests" / "heldout"
# The sets written blind, by people who never saw the training data (set D and dev).
BLIND_SETS = sorted((PROJECT_ROOT / "tests" / "understanding").glob("blind_*.yml"))
MIN_EXAMPLES_DOCUMENT_TOPIC = 60  # every ask_* intent
MIN_EXAMPLES_OUT_OF_SCOPE = 80
MIN_EXAMPLES_OTHER = 25
# Two messages sharing this share of their words (Jaccard) count as near-duplicates.
NEAR_DUPLICATE_SIMILARITY = 0.9

Example = Tuple[str, str]  # (intent, text)


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def load_examples(path: Path) -> List[Example]:
    """The (intent, text) examples of an NLU file, or of every NLU file in a folder."""
    data = load_data(str(path))
    return [(m.get("intent"), m.get("text")) for m in data.intent_examples]


def minimum_for(intent: str) -> int:
    if intent.startswith("ask_"):
        return MIN_EXAMPLES_DOCUMENT_TOPIC
    if intent == "out_of_scope":
        return MIN_EXAMPLES_OUT_OF_SCOPE
    return MIN_EXAMPLES_OTHER


def too_few_examples(examples: List[Example]) -> List[str]:
    counts: Dict[str, int] = defaultdict(int)
    for intent, _ in examples:
        counts[intent] += 1
    return [
        f"intent '{intent}' has {count} examples; it needs at least {minimum_for(intent)}"
        for intent, count in sorted(counts.items())
        if "+" not in intent and count < minimum_for(intent)
    ]


def shared_between_intents(examples: List[Example]) -> List[str]:
    intents_of: Dict[str, set] = defaultdict(set)
    for intent, text in examples:
        intents_of[normalise(text)].add(intent)
    return [
        f"'{text}' is an example of several intents: {', '.join(sorted(intents))}"
        for text, intents in sorted(intents_of.items())
        if len(intents) > 1
    ]


def _nearly_the_same_words(a: FrozenSet[str], b: FrozenSet[str]) -> bool:
    return len(a) >= 4 and len(b) >= 4 and len(a & b) / len(a | b) >= NEAR_DUPLICATE_SIMILARITY


def near_duplicate(first: str, second: str) -> bool:
    """Almost the same words, as near_duplicates() counts them."""
    return _nearly_the_same_words(frozenset(normalise(first).split()),
                                  frozenset(normalise(second).split()))


def near_duplicates(examples: List[Example]) -> List[str]:
    words: List[Tuple[Example, FrozenSet[str]]] = [
        (example, frozenset(normalise(example[1]).split())) for example in examples
    ]
    problems = []
    for (first, a), (second, b) in itertools.combinations(words, 2):
        if _nearly_the_same_words(a, b):
            problems.append(
                f"near-duplicates: '{first[1]}' ({first[0]}) and '{second[1]}' ({second[0]})"
            )
    return problems


def two_topic_labels(examples: List[Example]) -> List[str]:
    return [f"'{text}' is labelled {intent}: label a message with the first topic it asks; "
            "the assistant finds the second by itself" for intent, text in examples if "+" in intent]


def leaked_into_heldout(examples: List[Example], heldout: List[Example]) -> List[str]:
    held = {normalise(text) for _, text in heldout}
    return [
        f"'{text}' ({intent}) is also in a held-out set ({HELDOUT_DIR.name}/ or "
        "tests/understanding/blind_*.yml); remove it from one of them"
        for intent, text in examples
        if normalise(text) in held
    ]


def main() -> int:
    examples = load_examples(NLU_DIR)
    heldout = [*load_examples(HELDOUT_DIR),
               *(example for path in BLIND_SETS for example in load_examples(path))]
    problems = (
        too_few_examples(examples)
        + two_topic_labels(examples)
        + shared_between_intents(examples)
        + near_duplicates(examples)
        + leaked_into_heldout(examples, heldout)
    )
    for problem in problems:
        print(f"ERROR {problem}")
    intents = {intent for intent, _ in examples}
    print(f"{'FAILED' if problems else 'ok   '} {len(examples)} training examples over "
          f"{len(intents)} intents; {len(heldout)} held-out messages")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
