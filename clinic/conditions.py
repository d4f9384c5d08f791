"""What a treatment page says about a condition a patient names.

content/conditions.yml maps each condition to the words a page uses for it;
the answer quotes the page's sentence with those words, or says the page
doesn't mention the condition. It never says whether the treatment will help.
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

import yaml

from clinic.documents import TreatmentDocument

NAMED = "named"
RELATED = "related"
NOT_MENTIONED = "not_mentioned"


@dataclass(frozen=True)
class Coverage:
    condition: str
    kind: str  # NAMED, RELATED or NOT_MENTIONED
    term: Optional[str] = None  # the page's words for it
    quote: Optional[Tuple[str, str]] = None  # (section heading, sentence)


def load_condition_terms(path: Path) -> Dict[str, Tuple[str, str]]:
    """condition -> (kind, the page's words for it)."""
    with path.open(encoding="utf-8") as file:
        raw = yaml.safe_load(file)
    terms = {}
    for condition, entry in raw.items():
        [(kind, term)] = entry.items()
        if kind not in (NAMED, RELATED):
            raise ValueError(f"{path}: '{condition}' must be 'named' or 'related', not '{kind}'")
        terms[condition.lower()] = (kind, term)
    return terms


def first_sentence_with(document: TreatmentDocument, term: str) -> Optional[Tuple[str, str]]:
    whole_words = re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE)
    for section in document.sections.values():
        for sentence in section.sentences():
            if whole_words.search(sentence):
                return section.heading, sentence
    return None


def coverage(
    document: TreatmentDocument, condition: str, terms: Dict[str, Tuple[str, str]]
) -> Coverage:
    kind, term = terms.get(condition.lower(), (NOT_MENTIONED, None))
    quote = first_sentence_with(document, term) if term else None
    if quote is None:
        return Coverage(condition=condition, kind=NOT_MENTIONED)
    return Coverage(condition=condition, kind=kind, term=term, quote=quote)
