"""Compare our assistant's understanding with baselines a clinic might pick.

    python -m evaluation.baselines MODEL    # MODEL: our trained model

On the held-out sets (tests/heldout/, `rasa test nlu`): accuracy, macro-F1 and
emergency recall of
1. keyword retrieval: TF-IDF match of the message to the closest section of the
   treatment page (below a minimum similarity: out_of_scope);
2. Rasa's default pipeline (evaluation/baseline_config.yml) trained on our data.

Then, on every set of evaluation/understanding.py (A, B, C, dev, D) and scored
by its functions, ours beside
(a) TF-IDF (word 1-2 grams and letter 1-4 grams) and scikit-learn's logistic
    regression trained on the examples of data/nlu (no fallback, no entities);
(b) Rasa's LogisticRegressionClassifier over word and letter counts, with our
    fallback thresholds (evaluation/baseline_lr_config.yml), trained on data/nlu;
and the margin of ours over each on set D. Trains the Rasa baselines (several
minutes); the held-out reports in results/baselines/.
"""
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, recall_score
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.pipeline import make_pipeline, make_union

from clinic import settings
from clinic.answers import answered_from_pages, load_topics
from clinic.documents import canonical_heading, load_documents
from clinic.settings import PROJECT_ROOT
from clinic.training_data_check import HELDOUT_DIR, NLU_DIR, Example, load_examples
from evaluation import understanding
from evaluation.heldout import evaluate
from evaluation.nlu_report import NluReport
from evaluation.understanding import DEFAULT_SETS, REPORTED_SET, Prediction, Reader

RESULTS = PROJECT_ROOT / "results" / "baselines"
BASELINE_CONFIG = PROJECT_ROOT / "evaluation" / "baseline_config.yml"
LOGISTIC_REGRESSION_CONFIG = PROJECT_ROOT / "evaluation" / "baseline_lr_config.yml"
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


def train_rasa_nlu(config: Path, out: Path) -> Path:
    """A Rasa NLU model of `config` trained on data/nlu, in `out`."""
    rasa = Path(sys.executable).parent / "rasa"
    subprocess.run(
        [str(rasa), "train", "nlu", "--config", str(config), "--nlu", "data/nlu",
         "--domain", "domain", "--out", str(out), "--fixed-model-name", config.stem],
        cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return out / f"{config.stem}.tar.gz"


def tfidf_logistic_regression(training: List[Example]) -> Reader:
    """Baseline (a): its intent with its probability; it never falls back."""
    features = make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                          TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4),
                                          sublinear_tf=True))
    model = make_pipeline(features, LogisticRegression(max_iter=2000))
    model.fit([text for _, text in training], [intent for intent, _ in training])

    def read(texts: List[str]) -> List[Prediction]:
        return [Prediction(model.classes_[row.argmax()], float(row.max()))
                for row in model.predict_proba(texts)]
    return read


def heldout_table(ours: Path, rasa_default: Path) -> None:
    heldout = load_examples(HELDOUT_DIR)
    expected = [intent for intent, _ in heldout]
    rows = {"keyword retrieval (TF-IDF to page sections)":
            scores(expected, keyword_retrieval([text for _, text in heldout])),
            "Rasa default pipeline, same data":
            report_scores(evaluate(rasa_default, RESULTS / "rasa-default")),
            "ours (config.yml)": report_scores(evaluate(ours, RESULTS / "ours"))}
    print(f"Held-out set: {len(heldout)} messages, {len(set(expected))} intents")
    print(f"{'system':46} {'accuracy':>8} {'macro-F1':>8} {'emergency recall':>17}")
    for name, (accuracy, macro_f1, emergency) in rows.items():
        print(f"{name:46} {accuracy:8.3f} {macro_f1:8.3f} {emergency:17.3f}")


def margin(ours: Dict, baseline: Dict, figure: str) -> str:
    return f"{(ours[figure] - baseline[figure]) * 100:+.1f} points"


def understanding_table(systems: Dict[str, Reader]) -> None:
    """Each set's figures per system, scored as evaluation/understanding.py scores ours."""
    reported: Dict[str, Dict] = {}
    print(f"\n{understanding.header('system')}")
    for path in DEFAULT_SETS:
        print(f"{path.stem}:")
        for name, read in systems.items():
            figures, _ = understanding.evaluate(read, path)
            print(understanding.row(name, figures), flush=True)
            if path == REPORTED_SET:
                reported[name] = figures
    print(understanding.LEGEND)
    ours, *baselines = reported
    for baseline in baselines:
        print(f"{ours} over {baseline} on {REPORTED_SET.stem}: all-intent accuracy "
              f"{margin(reported[ours], reported[baseline], 'all_intents_accuracy')}, "
              f"page-topic accuracy "
              f"{margin(reported[ours], reported[baseline], 'page_topic_accuracy')}")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ours = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as folder:
        heldout_table(ours, train_rasa_nlu(BASELINE_CONFIG, Path(folder)))
        rasa_lr = train_rasa_nlu(LOGISTIC_REGRESSION_CONFIG, Path(folder))
        understanding_table({
            "ours": understanding.model_reader(ours),
            "(a) tfidf+LR": tfidf_logistic_regression(load_examples(NLU_DIR)),
            "(b) rasa LR": understanding.model_reader(rasa_lr)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
