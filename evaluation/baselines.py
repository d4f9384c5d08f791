"""Compare our assistant's understanding with two baselines a clinic might pick,
on the same held-out messages:

1. keyword retrieval: TF-IDF match of the message to the closest section of the
   treatment page (below a minimum similarity: out_of_scope);
2. Rasa's default pipeline (evaluation/baseline_config.yml) trained on our data.

    python -m evaluation.baselines MODEL    # MODEL: our trained model

Prints accuracy, macro-F1 and emergency recall side by side. Trains the Rasa
baseline (several minutes); results in results/baselines/.
"""
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, recall_score
from sklearn.metrics.pairwise import cosine_similarity

from clinic import settings
from clinic.answers import answered_from_pages, load_topics
from clinic.documents import canonical_heading, load_documents
from clinic.settings import PROJECT_ROOT
from clinic.training_data_check import HELDOUT_DIR, load_examples
from evaluation.heldout import evaluate
from evaluation.nlu_report import NluReport

RESULTS = PROJECT_ROOT / "results" / "baselines"
BASELINE_CONFIG = PROJECT_ROOT / "evaluation" / "baseline_config.yml"
# Below this cosine similarity to every section, keyword search finds nothing.
MIN_SIMILARITY = 0.1


def section_intents() -> Dict[str, str]:
    """Each section heading -> the topic whose answer starts with it."""
    intents: Dict[str, str] = {}
    for name, topic in answered_from_pages(load_topics(settings.topics_file())).items():
        # A section quoted by several topics belongs to the first (its own).
        intents.setdefault(canonical_heading(topic.answer[0].section), name)
    return intents


def keyword_retrieval(messages: List[str]) -> List[str]:
    document = load_documents(settings.content_dir())["prolotherapy"]
    intent_of = section_intents()
    sections = [s for key, s in document.sections.items() if key in intent_of]
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    section_vectors = vectorizer.fit_transform(f"{s.heading} {s.text}" for s in sections)
    similarities = cosine_similarity(vectorizer.transform(messages), section_vectors)
    predictions = []
    for row in similarities:
        best = row.argmax()
        predictions.append(intent_of[canonical_heading(sections[best].heading)]
                           if row[best] >= MIN_SIMILARITY else "out_of_scope")
    return predictions


def scores(expected: List[str], predicted: List[str]) -> Tuple[float, float, float]:
    labels = sorted(set(expected))
    emergency = recall_score(expected, predicted, labels=["report_emergency"], average="macro",
                             zero_division=0)
    return (accuracy_score(expected, predicted),
            f1_score(expected, predicted, labels=labels, average="macro", zero_division=0),
            emergency)


def report_scores(report: NluReport) -> Tuple[float, float, float]:
    return report.accuracy, report.macro_f1, report.intents["report_emergency"].recall


def train_rasa_default(out: Path) -> Path:
    rasa = Path(sys.executable).parent / "rasa"
    subprocess.run(
        [str(rasa), "train", "nlu", "--config", str(BASELINE_CONFIG), "--nlu", "data/nlu",
         "--domain", "domain", "--out", str(out), "--fixed-model-name", "baseline"],
        cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return out / "baseline.tar.gz"


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    heldout = load_examples(HELDOUT_DIR)
    expected = [intent for intent, _ in heldout]
    rows = {"keyword retrieval (TF-IDF to page sections)":
            scores(expected, keyword_retrieval([text for _, text in heldout]))}
    with tempfile.TemporaryDirectory() as folder:
        baseline_model = train_rasa_default(Path(folder))
        rows["Rasa default pipeline, same data"] = report_scores(
            evaluate(baseline_model, RESULTS / "rasa-default"))
    rows["ours (config.yml)"] = report_scores(evaluate(Path(sys.argv[1]), RESULTS / "ours"))

    print(f"Held-out set: {len(heldout)} messages, {len(set(expected))} intents")
    print(f"{'system':46} {'accuracy':>8} {'macro-F1':>8} {'emergency recall':>17}")
    for name, (accuracy, macro_f1, emergency) in rows.items():
        print(f"{name:46} {accuracy:8.3f} {macro_f1:8.3f} {emergency:17.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
