"""The questions in a patient's message: its parts.

Patients ask two things at once ("how many sessions, and what is recovery like
after each?") and tell a story before the question. A message is cut into parts
at the end of each sentence or question and where "and", "also" or "plus"
starts a new question ("... and will it hurt"), but not inside a list ("knee
and shoulder"). Each part of at least two words counts; the intent classifier
reads every part as well as the whole message (clinic/intent_classifier.py).
"""
import re
from typing import List, NamedTuple

# The entity naming a second page topic asked in the same message.
ALSO_ASKED = "also_asked"

# Words that start a question, after which "and" begins a new one.
QUESTION_START = (r"(?:how|what|whats|what's|will|would|can|could|does|do|did|is|are|am|"
                  r"should|when|where|why|which|who|any|r|u)")
BOUNDARY = re.compile(
    r"[?!.;]+\s*|\n+|,?\s+(?:and|also|plus|&|n)\s+(?:also\s+)?(?=" + QUESTION_START + r"\b)",
    re.IGNORECASE)
# A part starting with the word that joined it to the last ("? and does it hurt").
LEADING_JOIN = re.compile(r"^(?:(?:and|also|plus|&)\b[\s,]*)+", re.IGNORECASE)
MIN_WORDS = 2
TRIM = " ,.;:-"


class Part(NamedTuple):
    text: str
    start: int  # where it starts and ends in the message
    end: int


def parts(text: str) -> List[Part]:
    """The message's parts of at least MIN_WORDS words, in the order written."""
    found, start = [], 0
    for boundary in [*BOUNDARY.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        piece = text[start:end]
        stripped = LEADING_JOIN.sub("", piece.strip(TRIM)).strip(TRIM)
        if len(stripped.split()) >= MIN_WORDS:
            offset = start + piece.index(stripped)
            found.append(Part(stripped, offset, offset + len(stripped)))
        if boundary:
            start = boundary.end()
    return found
