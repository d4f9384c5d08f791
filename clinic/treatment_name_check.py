"""Check that patients can name every treatment page, and that every name leads to one.

Part of the content check (`make validate`). The names live in the NLU data's
lookup table `treatment`, mapped to pages by synonyms (data/nlu/treatments.yml).
"""
import re
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.documents import TREATMENT_ENTITY, TreatmentDocument

# With several pages, fewer questions than this naming a treatment draw a warning:
# the intent classifier has then hardly seen its name.
MIN_QUESTIONS_NAMING = 5


def lookup_line(nlu_dir: Path) -> str:
    """Where the lookup table is written, as file:line (or the folder if nowhere)."""
    for path in sorted(nlu_dir.rglob("*.yml")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if re.fullmatch(rf"\s*-\s*lookup:\s*{TREATMENT_ENTITY}\s*", line):
                return f"{path}:{number}"
    return str(nlu_dir)


def names_by_page(data: TrainingData) -> Dict[str, List[str]]:
    """Lookup names by the (lower-case) page name their synonym maps them to."""
    # Synonyms apply whatever the capitalisation (as EntitySynonymMapper does).
    synonyms = {name.lower(): page for name, page in data.entity_synonyms.items()}
    names: Dict[str, List[str]] = {}
    for table in data.lookup_tables:
        if table["name"] != TREATMENT_ENTITY:
            continue
        for name in table["elements"]:
            page = synonyms.get(name.lower(), name).lower()
            names.setdefault(page, []).append(name)
    return names


def questions_naming(names: Iterable[str], data: TrainingData) -> int:
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)
    return sum(1 for message in data.intent_examples if pattern.search(message.get("text")))


def treatment_name_findings(documents: List[TreatmentDocument],
                            nlu_dir: Path) -> Tuple[List[str], List[str]]:
    """(problems, warnings) about the treatment names in the NLU data."""
    data = load_data(str(nlu_dir))
    where = lookup_line(nlu_dir)
    pages = {document.name.lower(): document for document in documents}
    names = names_by_page(data)
    problems = [
        f"{where}: '{name}' in lookup table '{TREATMENT_ENTITY}' names no treatment page "
        f"(no page is called '{page}'); map it with a synonym to one of: "
        f"{', '.join(d.name.lower() for d in documents)}"
        for page, found in names.items() if page not in pages for name in found
    ]
    warnings = []
    for key, document in pages.items():
        if key not in names:
            problems.append(
                f"{document.path}: patients can't name the {document.name} page: add "
                f"'{key}' (and the other names patients use for it) to the lookup table "
                f"'{TREATMENT_ENTITY}' ({where})")
        elif len(pages) > 1 and questions_naming(names[key], data) < MIN_QUESTIONS_NAMING:
            warnings.append(
                f"{document.path}: fewer than {MIN_QUESTIONS_NAMING} training questions name "
                f"{document.name}; add a handful (CONTENT.md, \"Adding a treatment\")")
    return problems, warnings
