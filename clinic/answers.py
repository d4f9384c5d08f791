"""Answers quoted from treatment documents, by question topic (content/topics.yml)."""
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from clinic.documents import KNOWN_HEADINGS, TreatmentDocument, canonical_heading, human_date

# What a patient can ask right after an answer, besides a new topic.
FOLLOW_UPS = ("more", "why")


class TopicError(ValueError):
    """content/topics.yml asks for something a document doesn't have."""


@dataclass(frozen=True)
class TopicPart:
    section: str
    sentences_with: Optional[str] = None


@dataclass(frozen=True)
class Topic:
    label: str  # shown to patients on buttons
    answer: Tuple[TopicPart, ...] = ()  # empty: not answered from a page
    more: Tuple[TopicPart, ...] = ()
    why: Tuple[TopicPart, ...] = ()
    then: Optional[str] = None  # a response said after the answer

    def parts(self, follow_up: Optional[str] = None) -> Tuple[TopicPart, ...]:
        return getattr(self, follow_up) if follow_up else self.answer


@dataclass(frozen=True)
class Answer:
    treatment: str
    quotes: Tuple[Tuple[str, str], ...]  # (section heading as written, quoted text)
    version: int  # the document's "Version:"
    reviewed: date  # the document's "Last reviewed:"

    @classmethod
    def quoting(cls, document: TreatmentDocument,
                quotes: Tuple[Tuple[str, str], ...]) -> "Answer":
        return cls(treatment=document.name, quotes=quotes, version=document.version,
                   reviewed=document.reviewed)

    @property
    def sections(self) -> List[str]:
        return list(dict.fromkeys(heading for heading, _ in self.quotes))

    @property
    def source(self) -> str:
        """The caption: 'Source: the clinic's Prolotherapy page, "How Long Does It
        Take" (version 1, reviewed 26 Nov 2026).'"""
        names = " and ".join(f'"{heading}"' for heading in self.sections)
        return (f"Source: the clinic's {self.treatment} page, {names} "
                f"(version {self.version}, reviewed {human_date(self.reviewed)}).")

    @property
    def metadata(self) -> Dict[str, Any]:
        """Machine-readable provenance for the chat widget and the staff console."""
        return {"treatment": self.treatment, "sections": self.sections, "source": self.source,
                "version": self.version, "reviewed": self.reviewed.isoformat()}

    @property
    def text(self) -> str:
        """What the patient reads: the quotes, then where they come from."""
        return "\n\n".join([quote for _, quote in self.quotes] + [self.source])


def _parts(path: Path, topic: str, raw: list) -> Tuple[TopicPart, ...]:
    known = {canonical_heading(heading) for heading in KNOWN_HEADINGS}
    parts = tuple(TopicPart(**part) for part in raw)
    for part in parts:
        if canonical_heading(part.section) not in known:
            raise TopicError(f"{path}: topic '{topic}' names unknown section '{part.section}'")
    if not parts:
        raise TopicError(f"{path}: topic '{topic}' quotes nothing; list at least one section")
    return parts


def load_topics(path: Path) -> Dict[str, Topic]:
    # Read on every answer, so that an edit is live at once; parsed again only
    # when its text has changed (parsing it and the pages on every answer was
    # ~40% of the action server's CPU).
    return dict(_parsed_topics(path, path.read_bytes()))


@lru_cache(maxsize=8)
def _parsed_topics(path: Path, text: bytes) -> Dict[str, Topic]:
    # libyaml's safe loader: ~1 ms here where the pure-Python one took ~10.
    raw = yaml.load(text, Loader=yaml.CSafeLoader)
    topics = {}
    for name, entry in raw.items():
        if "label" not in entry:
            raise TopicError(f"{path}: topic '{name}' has no label")
        if entry.keys() == {"label"}:
            topics[name] = Topic(label=entry["label"])
            continue
        missing = {"answer", *FOLLOW_UPS} - entry.keys()
        if missing:
            raise TopicError(f"{path}: topic '{name}' lacks {', '.join(sorted(missing))}")
        topics[name] = Topic(
            label=entry["label"],
            then=entry.get("then"),
            **{key: _parts(path, name, entry[key]) for key in ("answer", *FOLLOW_UPS)},
        )
    return topics


def answered_from_pages(topics: Dict[str, Topic]) -> Dict[str, Topic]:
    return {name: topic for name, topic in topics.items() if topic.answer}


def _quote(document: TreatmentDocument, part: TopicPart) -> Optional[Tuple[str, str]]:
    """(heading, text) of a part, or None when the page has no sentence it narrows to."""
    section = document.section(part.section)
    if part.sentences_with is None:
        return section.heading, section.text
    needle = part.sentences_with.lower()
    sentences = [sentence for sentence in section.sentences() if needle in sentence.lower()]
    return (section.heading, " ".join(sentences)) if sentences else None


def answer(document: TreatmentDocument, parts: Tuple[TopicPart, ...]) -> Answer:
    """The page's words for a topic.

    topics.yml narrows some parts to sentences written in the prolotherapy page's
    words; another page may not have them. Such a part is left out, and when
    nothing is left the first part's whole section is quoted, so that every page
    in the clinic's format answers every topic from the right section.
    """
    quotes = [quote for quote in (_quote(document, part) for part in parts) if quote]
    if not quotes:
        section = document.section(parts[0].section)
        quotes = [(section.heading, section.text)]
    return Answer.quoting(document, tuple(quotes))


def parts_not_found(document: TreatmentDocument,
                    parts: Tuple[TopicPart, ...]) -> List[TopicPart]:
    """The narrowed parts this page has no sentence for (content check warnings)."""
    return [part for part in parts if _quote(document, part) is None]
