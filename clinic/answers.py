"""Answers quoted from treatment documents, by question topic (content/topics.yml)."""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from clinic.documents import KNOWN_HEADINGS, TreatmentDocument, canonical_heading


class TopicError(ValueError):
    """content/topics.yml asks for something a document doesn't have."""


@dataclass(frozen=True)
class TopicPart:
    section: str
    sentences_with: Optional[str] = None


@dataclass(frozen=True)
class Answer:
    treatment: str
    quotes: Tuple[Tuple[str, str], ...]  # (section heading as written, quoted text)

    @property
    def sections(self) -> List[str]:
        return list(dict.fromkeys(heading for heading, _ in self.quotes))

    @property
    def source(self) -> str:
        names = " and ".join(f'"{heading}"' for heading in self.sections)
        return f"Source: the clinic's {self.treatment} page, {names}."

    @property
    def text(self) -> str:
        """What the patient reads: the quotes, then where they come from."""
        return "\n\n".join([quote for _, quote in self.quotes] + [self.source])


def load_topics(path: Path) -> Dict[str, List[TopicPart]]:
    with path.open(encoding="utf-8") as file:
        raw = yaml.safe_load(file)
    known = {canonical_heading(heading) for heading in KNOWN_HEADINGS}
    topics = {}
    for topic, parts in raw.items():
        topics[topic] = [TopicPart(**part) for part in parts]
        for part in topics[topic]:
            if canonical_heading(part.section) not in known:
                raise TopicError(f"{path}: topic '{topic}' names unknown section '{part.section}'")
    return topics


def answer(document: TreatmentDocument, parts: List[TopicPart]) -> Answer:
    quotes = []
    for part in parts:
        section = document.section(part.section)
        if part.sentences_with is None:
            quotes.append((section.heading, section.text))
            continue
        needle = part.sentences_with.lower()
        sentences = [sentence for sentence in section.sentences() if needle in sentence.lower()]
        if not sentences:
            raise TopicError(
                f"{document.path}:{section.line}: section '{section.heading}' has no sentence "
                f"with '{part.sentences_with}', which content/topics.yml quotes"
            )
        quotes.append((section.heading, " ".join(sentences)))
    return Answer(treatment=document.name, quotes=tuple(quotes))
