"""Check the treatment documents and the content files that point into them.

`python -m clinic.content_check` (part of `make validate`) parses every document,
builds every topic's answers from it (content/topics.yml), finds the page's
words for every condition (content/conditions.yml), checks that patients can
name every page (lookup table `treatment` in the NLU data) and compiles the
red-flag patterns (content/red_flags.yml), so a broken page or a content file
that no longer matches its pages is reported, with file and line, before training.

It also checks settings/clinic.yml's `emergency_number`: one that can't be
dialled is an error; none is a warning (the chat then tells patients to call
"your local emergency number", without a call link).

Warnings do not stop the workflow: a document whose "Last reviewed:" date is
older than `review_every_months` (settings/clinic.yml); a sentence topics.yml
narrows an answer to that a page doesn't have (the answer leaves it out); no
emergency number.
"""
import re
import sys
from datetime import date
from pathlib import Path
from typing import List, Optional

import yaml

from clinic import settings
from clinic.answers import FOLLOW_UPS, TopicError, answered_from_pages, load_topics, parts_not_found
from clinic.conditions import first_sentence_with, load_condition_terms
from clinic.documents import (
    REVIEWED_LINE, DocumentError, TreatmentDocument, document_paths, human_date, parse_document,
    review_due,
)
from clinic.red_flags import RedFlags
from clinic.treatment_name_check import treatment_name_findings


def unquoted_parts(document: TreatmentDocument) -> Optional[str]:
    """A warning naming the sentences topics.yml narrows answers to that this
    page doesn't have: those answers leave them out (expected on a new page)."""
    missing = {
        (part.section, part.sentences_with)
        for topic in answered_from_pages(load_topics(settings.topics_file())).values()
        for follow_up in (None, *FOLLOW_UPS)
        for part in parts_not_found(document, topic.parts(follow_up))
    }
    if not missing:
        return None
    listed = "; ".join(f"'{needle}' in '{section}'" for section, needle in sorted(missing))
    return (f"{document.path}: {shown(settings.topics_file())} narrows some answers to sentences "
            f"this page doesn't have, so those answers quote the rest of the topic's "
            f"sections instead: {listed}")


def condition_problems(documents: List[TreatmentDocument]) -> List[str]:
    path = settings.conditions_file()
    return [
        f"{path}: no treatment page contains '{term}', the words given for '{condition}'"
        for condition, (_, term) in load_condition_terms(path).items()
        if not any(first_sentence_with(document, term) for document in documents)
    ]


def shown(path: Path) -> Path:
    """The path as the content team knows it: relative to the current folder
    (the project's, under make) when inside it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def staleness_warning(document: TreatmentDocument, months: int, today: date) -> Optional[str]:
    """A warning when the document's last review is more than `months` months ago."""
    due = review_due(document, months)
    if today <= due:
        return None
    return (f"{document.path}:{REVIEWED_LINE}: the {document.name} page (version "
            f"{document.version}) was last reviewed on {human_date(document.reviewed)}, more "
            f"than {months} months ago (review due by {human_date(due)}); review it, then "
            f"set 'Last reviewed:' to the day you did (and raise 'Version:' if you changed "
            f"the text)")


def emergency_number_missing() -> str:
    return (f"{shown(settings.clinic_settings_file())}: no emergency_number, so the chat tells "
            'patients to call "your local emergency number", without a call link; set the '
            'number patients should call, e.g. emergency_number: "911"')


def main(today: Optional[date] = None) -> int:
    today = today or date.today()
    paths = [shown(path) for path in document_paths(settings.content_dir())]
    if not paths:
        print(f"ERROR no treatment documents (*.txt) in {settings.content_dir()}")
        return 1
    problems: List[str] = []
    warnings: List[str] = []
    documents = []
    try:
        months = settings.review_every_months()
        for path in paths:
            try:
                document = parse_document(path, today)
            except DocumentError as error:
                problems.append(str(error))
                continue
            documents.append(document)
            unquoted = unquoted_parts(document)
            if unquoted:
                warnings.append(unquoted)
            print(f"ok    {path}: {document.name}, version {document.version}, reviewed "
                  f"{human_date(document.reviewed)}, {len(document.sections)} sections")
            stale = staleness_warning(document, months, today)
            if stale:
                warnings.append(stale)
        if len(documents) == len(paths):  # else every condition would seem missing
            problems += condition_problems(documents)
            names_problems, names_warnings = treatment_name_findings(
                documents, shown(settings.nlu_dir()))
            problems += names_problems
            warnings += names_warnings
        RedFlags.load(settings.red_flags_file())
    except (TopicError, ValueError, yaml.YAMLError, re.error) as error:
        problems.append(str(error))
    try:
        if settings.emergency_number() is None:
            warnings.append(emergency_number_missing())
    except (ValueError, yaml.YAMLError) as error:
        problems.append(str(error))
    for warning in warnings:
        print(f"WARN  {warning}")
    for problem in problems:
        print(f"ERROR {problem}")
    if problems:
        print(f"{len(problems)} problem(s) in the content: fix them (see CONTENT.md, "
              "\"Treatment documents\") before training.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
