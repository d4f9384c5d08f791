"""Treatment documents: the clinic's pages, parsed into their sections.

A document starts with two header lines, its version and the date it was last
reviewed:

    Version: 1
    Last reviewed: 2026-11-26

then the page as the clinic publishes it: the treatment's name, optional
breadcrumb lines (e.g. "Treatments"), then sections, each introduced by one of
the known headings on a line of its own ending in ":". Bullet points start with
"•". The file is UTF-8 text. Problems are reported with file, line and a fix
(CONTENT.md, "Treatment documents", explains each message).
"""
import calendar
import codecs
import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
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
# The entity and slot that name a treatment's document (data/nlu/treatments.yml).
TREATMENT_ENTITY = "treatment"
# The header lines, in this order, on lines 1 and 2.
VERSION_LINE, REVIEWED_LINE = 1, 2
VERSION_LABEL = "Version"
REVIEWED_LABEL = "Last reviewed"
_VERSION_LINE = re.compile(r"^Version:[ \t]*(?P<value>[1-9][0-9]{0,5})[ \t]*$")
_REVIEWED_LINE = re.compile(r"^Last reviewed:[ \t]*(?P<value>[0-9]{4}-[0-9]{2}-[0-9]{2})[ \t]*$")
# A header line however it is written ("version : 2", "Last-Reviewed:"), to
# recognise a malformed or misplaced one.
_HEADER_LIKE = re.compile(r"^\s*(?P<label>version|last[\s_-]*reviewed)\s*:\s*(?P<value>.*?)\s*$",
                          re.IGNORECASE)
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
    version: int  # "Version: 3": raised by the content team with each change of text
    reviewed: date  # "Last reviewed: 2026-10-01"

    def section(self, heading: str) -> Section:
        return self.sections[canonical_heading(heading)]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(day: date) -> str:
    """ "26 Nov 2026", whatever the machine's locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later (the month's last day when
    it has no such day: 31 Jan + 1 month is 28 or 29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_due(document: TreatmentDocument, months: int) -> date:
    """The last day the document counts as reviewed recently enough."""
    return months_after(document.reviewed, months)


class DocumentError(ValueError):
    """A malformed document: where, what is wrong, and how to fix it."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


SAVE_AS_UTF8 = "save it with UTF-8 encoding (in the editor's 'Save as': Encoding: UTF-8)"


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DocumentError(
            path, 1, f"the file is saved as UTF-16 ('Unicode'), not UTF-8; {SAVE_AS_UTF8}"
        )
    # "UTF-8 with BOM" (as some Windows editors save) is UTF-8: the mark is dropped.
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        line = raw[: error.start].count(b"\n") + 1
        column = len(raw[line_start: error.start].decode("utf-8", errors="replace")) + 1
        byte = raw[error.start]
        guess = bytes([byte]).decode("cp1252", errors="replace")
        shown = f" ('{guess}' in Latin-1/Windows-1252)" if guess.isprintable() else ""
        raise DocumentError(
            path, line, f"the file is not UTF-8 text: byte 0x{byte:02X}{shown} at column "
            f"{column}; {SAVE_AS_UTF8}"
        ) from None
    if "\x00" in text:  # UTF-16 without its byte-order mark decodes, with NULs
        line = text[: text.index("\x00")].count("\n") + 1
        raise DocumentError(
            path, line, f"the file holds NUL characters, as a UTF-16 ('Unicode') file "
            f"does; {SAVE_AS_UTF8}"
        )
    return text


def _header(path: Path, lines: List[str], today: date) -> Tuple[int, date]:
    """The version (line 1) and the last-reviewed date (line 2)."""
    first = lines[0] if lines else ""
    second = lines[1] if len(lines) > 1 else ""
    both = f"'{VERSION_LABEL}: 1' on line 1 and '{REVIEWED_LABEL}: {today.isoformat()}' on line 2"
    write_date = (f"write '{REVIEWED_LABEL}: ' and the date as YYYY-MM-DD, e.g. "
                  f"'{REVIEWED_LABEL}: {today.isoformat()}'")

    version_line = _VERSION_LINE.match(first)
    if not version_line:
        like = _HEADER_LIKE.match(first)
        if not like:
            raise DocumentError(
                path, VERSION_LINE, "the document must start with its version and the date "
                f"it was last reviewed: add {both}, above the treatment's name"
            )
        if not like.group("label").lower().startswith("version"):
            raise DocumentError(
                path, VERSION_LINE,
                f"line 1 must be the version, line 2 the review date: write {both}"
            )
        raise DocumentError(
            path, VERSION_LINE, f"the version line reads '{first.strip()}'; write "
            f"'{VERSION_LABEL}: ' and a whole number, e.g. '{VERSION_LABEL}: 1' (add one with "
            "each change of the text)"
        )

    reviewed_line = _REVIEWED_LINE.match(second)
    if not reviewed_line:
        like = _HEADER_LIKE.match(second)
        if not like or like.group("label").lower().startswith("version"):
            raise DocumentError(
                path, REVIEWED_LINE, "line 2 must be the date the page was last reviewed: add "
                f"'{REVIEWED_LABEL}: {today.isoformat()}' (the day you reviewed it) "
                "below the version"
            )
        raise DocumentError(path, REVIEWED_LINE,
                            f"the review date line reads '{second.strip()}'; {write_date}")
    value = reviewed_line.group("value")
    try:
        reviewed = date.fromisoformat(value)
    except ValueError:
        raise DocumentError(path, REVIEWED_LINE,
                            f"'{value}' is not a real date; {write_date}") from None
    # A day of leeway: the clinic's today may be the server's tomorrow.
    if reviewed > today + timedelta(days=1):
        raise DocumentError(
            path, REVIEWED_LINE, f"the review date {value} is in the future (today is "
            f"{today.isoformat()}); write the date the page was actually reviewed"
        )
    return int(version_line.group("value")), reviewed


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


def _unknown_heading(heading: str) -> str:
    known = {canonical_heading(known).lower(): known for known in KNOWN_HEADINGS}
    close = difflib.get_close_matches(canonical_heading(heading).lower(), known, n=1, cutoff=0.6)
    hint = f"did you mean '{known[close[0]]}:'? " if close else ""
    return (f"unknown heading '{heading}'; {hint}use one of these, as written: "
            + "; ".join(KNOWN_HEADINGS))


def parse_document(path: Path, today: Optional[date] = None) -> TreatmentDocument:
    """A document, or DocumentError naming the first problem's file and line.

    `today` (default: the machine's) is for telling a review date in the future."""
    return _parsed_document(path, path.read_bytes(), today or date.today())


# Documents are read on every answer, so that an edit is live at once, and
# parsed again only when their text (or the day) has changed.
@lru_cache(maxsize=64)
def _parsed_document(path: Path, raw: bytes, today: date) -> TreatmentDocument:
    lines = _decode(path, raw).splitlines()
    version, reviewed = _header(path, lines, today)
    for index, line in enumerate(lines[2:], start=2):
        if _HEADER_LIKE.match(line):
            raise DocumentError(
                path, index + 1, f"'{line.strip()}' belongs only in the two header lines at "
                "the top (lines 1 and 2); remove this line, or correct the one at the top"
            )
    name_index = next((index for index, line in enumerate(lines) if index >= 2 and line.strip()),
                      len(lines))
    name = lines[name_index].strip() if name_index < len(lines) else ""
    if not name or _HEADING_LINE.match(name):
        raise DocumentError(
            path, name_index + 1, "after the two header lines comes the treatment's name, "
            "e.g. 'Prolotherapy', on a line of its own"
        )

    known = {canonical_heading(heading) for heading in KNOWN_HEADINGS}
    known_lower = {canonical_heading(heading).lower(): heading for heading in KNOWN_HEADINGS}
    starts: List[Tuple[int, str]] = []  # (0-based line index, heading as written)
    for index, line in enumerate(lines):
        if index <= name_index:
            continue
        bare = canonical_heading(line.strip().rstrip(".?")).lower()
        if bare in known_lower:  # a heading without its ":"
            raise DocumentError(
                path, index + 1, f"heading '{line.strip()}' needs a ':' at its end; "
                f"write '{known_lower[bare]}:'"
            )
        match = _HEADING_LINE.match(line.strip())
        if not match:
            continue
        heading = match.group("title").strip()
        if canonical_heading(heading) not in known:
            raise DocumentError(path, index + 1, _unknown_heading(heading))
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
        # Where the first missing section belongs: before the next heading present.
        later = KNOWN_HEADINGS[KNOWN_HEADINGS.index(missing[0]) + 1:]
        following = next((sections[canonical_heading(heading)] for heading in later
                          if canonical_heading(heading) in sections), None)
        where = (f"before line {following.line} ('{following.heading}:')" if following
                 else "at the end")
        raise DocumentError(
            path,
            following.line if following else len(lines),
            "missing section(s): " + "; ".join(missing) + "; add each as its heading "
            f"on a line of its own ending in ':' followed by its text ('{missing[0]}:' "
            f"goes {where})",
        )
    return TreatmentDocument(name=name, path=path, sections=sections, version=version,
                             reviewed=reviewed)


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
