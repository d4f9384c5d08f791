"""A small copy of the project for end-to-end tests of the content workflow: the
real domain, rules, stories and content, a few NLU examples per intent, and a
pipeline that trains in seconds."""
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

from clinic.settings import PROJECT_ROOT
from clinic.training_data_check import NLU_DIR, load_examples

FAST_CONFIG = """\
recipe: default.v1
assistant_id: clinic-content-workflow-test
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: clinic.intent_classifier.LinearIntentClassifier
  - name: clinic.treatment_names.TreatmentNameExtractor
  - name: EntitySynonymMapper
  - name: FallbackClassifier
    threshold: 0.2
policies:
  - name: RulePolicy
"""


def examples_by_intent() -> Dict[str, List[str]]:
    """The project's NLU examples, in file order."""
    by_intent = defaultdict(list)
    for intent, text in load_examples(NLU_DIR):
        by_intent[intent].append(text)
    return by_intent


def nlu_yaml(examples: Dict[str, List[str]]) -> str:
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in sorted(examples.items()):
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {text}" for text in texts]
    return "\n".join(lines) + "\n"


def small_project(root: Path, examples: Dict[str, List[str]]) -> Path:
    """A project in `root` with these NLU examples and the real treatment names."""
    root.mkdir()
    (root / "config.yml").write_text(FAST_CONFIG)
    for folder in ("domain", "data/rules", "data/stories", "content"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    (root / "data" / "nlu").mkdir()
    (root / "data" / "nlu" / "examples.yml").write_text(nlu_yaml(examples))
    shutil.copy(NLU_DIR / "treatments.yml", root / "data" / "nlu")
    return root
