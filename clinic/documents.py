"""Treatment documents: the clinic's pages, parsed into their sections.

A document is the page as the clinic publishes it: the treatment's name on the
first line, optional breadcrumb lines (e.g. "Treatments"), then sections, each
introduced by one of the known headings on a line of its own ending in ":".
Bullet points start with "•". Problems are reported with file, line and a fix.
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

# The headings of the clinic's page format, in page order.
KNOWN_HEADINGS: Tuple[str, ...] = (
    "Conditions It Treats",
    "Procedure Description",
    "How Does It Help",
    "Procedure Benefits",
    "How Long Does It Take",
    "What Are the Expected Results",
    "If It Doesn't Help, What Is Next",
    "Is This Treatment Right for Me",
)
BULLET = "•"
# A heading is a short line ending in ":" that is not a bullet point.
_HEADING_LINE = re.compile(r"^(?P<title>[^•:][^:]{2,78}):\s*$")
# Sentence ends: ".", "!" or "?" followed by whitespace and a capital letter.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
# A bullet's label ("• Pain Relief: ") is not part of its sentences.
_BULLET_LABEL = re.compile(rf"^{BULLET}\s*(?P<label>[^:]{{1,60}}):\s*")


def canonical_heading(heading: str) -> str:
    """Heading as compared: typographic apostrophes as plain ones, no extra spaces."""
    return " ".join(heading.replace("\u2019", "'").split())


@dataclass(frozen=True)
class Section:
    heading: str  # as written in the document
    line: int  # line number of the heading, 1-based
    paragraphs: Tuple[str, ...]  # bullet points are paragraphs starting with "•"

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def sentences(self) -> List[str]:
        """The section's sentences, bullet labels left out."""
        found = []
        for paragraph in self.paragraphs:
            found.extend(_SENTENCE_END.split(_BULLET_LABEL.sub("", paragraph)))
        return found


@dataclass(frozen=True)
class TreatmentDocument:
    name: str  # the treatment, e.g. "Prolotherapy"
    path: Path
    sections: Dict[str, Section]  # keyed by canonical heading

    def section(self, heading: str) -> Section:
        return self.sections[canonical_heading(heading)]


class DocumentError(ValueError):
    """A malformed document: where, what is wrong, and how to fix it."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DocumentError(
            path, line, "the file is not UTF-8 text; save it with UTF-8 encoding"
        ) from None


def _paragraphs(lines: Iterable[str]) -> Tuple[str, ...]:
    """Blank lines separate paragraphs; each bullet point is a paragraph."""
    paragraphs: List[List[str]] = []
    current: List[str] = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith(BULLET):
            if current:
                paragraphs.append(current)
            current = [text] if text else []
        else:
            current.append(text)
    if current:
        paragraphs.append(current)
    return tuple(" ".join(paragraph) for paragraph in paragraphs)


def parse_document(path: Path) -> TreatmentDocument:
    lines = _decode(path).splitlines()
    name = next((line.strip() for line in lines if line.strip()), "")
    if not name or _HEADING_LINE.match(name):
        raise DocumentError(
            path, 1, "the first line must be the treatment's name, e.g. 'Prolotherapy'"
        )

    known = {canonical_heading(heading) for heading in KNOWN_HEADINGS}
    starts: List[Tuple[int, str]] = []  # (0-based line index, heading as written)
    for index, line in enumerate(lines):
        match = _HEADING_LINE.match(line.strip())
        if not match:
            continue
        heading = match.group("title").strip()
        if canonical_heading(heading) not in known:
            raise DocumentError(
                path,
                index + 1,
                f"unknown heading '{heading}'; use one of: " + "; ".join(KNOWN_HEADINGS),
            )
        starts.append((index, heading))

    sections: Dict[str, Section] = {}
    for number, (index, heading) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(lines)
        key = canonical_heading(heading)
        if key in sections:
            raise DocumentError(
                path,
                index + 1,
                f"heading '{heading}' appears twice (first on line "
                f"{sections[key].line}); merge the two sections",
            )
        paragraphs = _paragraphs(lines[index + 1 : end])
        if not paragraphs:
            raise DocumentError(
                path, index + 1, f"section '{heading}' is empty; add its text"
            )
        sections[key] = Section(heading=heading, line=index + 1, paragraphs=paragraphs)

    missing = [heading for heading in KNOWN_HEADINGS if canonical_heading(heading) not in sections]
    if missing:
        raise DocumentError(
            path,
            len(lines),
            "missing section(s): " + "; ".join(missing) + "; add each with its heading",
        )
    return TreatmentDocument(name=name, path=path, sections=sections)


def bullet_point(paragraph: str) -> Optional[Tuple[str, str]]:
    """A bullet point's label and text: "• Pain Relief: It can…" gives
    ("Pain Relief", "It can…"), a bullet without a label ("", text); None for
    a paragraph that is not a bullet point."""
    if not paragraph.startswith(BULLET):
        return None
    match = _BULLET_LABEL.match(paragraph)
    if not match:
        return "", paragraph[len(BULLET):].strip()
    return match.group("label").strip(), paragraph[match.end():]


def document_paths(folder: Path) -> List[Path]:
    return sorted(folder.glob("*.txt"))


def load_documents(folder: Path) -> Dict[str, TreatmentDocument]:
    """All treatment documents in a folder, keyed by lower-case treatment name."""
    documents = (parse_document(path) for path in document_paths(folder))
    return {document.name.lower(): document for document in documents}
