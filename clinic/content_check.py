"""Check the treatment documents and the content files that point into them.

`python -m clinic.content_check` (part of `make validate`) parses every document,
builds every topic's answers from it (content/topics.yml), finds the page's
words for every condition (content/conditions.yml) and compiles the red-flag
patterns (content/red_flags.yml), so a broken page or a content file that no
longer matches its page is reported, with file and line, before training.
"""
import re
import sys
from typing import List

import yaml

from clinic import settings
from clinic.answers import FOLLOW_UPS, TopicError, answer, answered_from_pages, load_topics
from clinic.conditions import first_sentence_with, load_condition_terms
from clinic.documents import DocumentError, TreatmentDocument, document_paths, parse_document
from clinic.red_flags import RedFlags


def document_problems(document: TreatmentDocument) -> List[str]:
    problems = []
    for topic in answered_from_pages(load_topics(settings.topics_file())).values():
        for follow_up in (None, *FOLLOW_UPS):
            try:
                answer(document, topic.parts(follow_up))
            except TopicError as error:
                problems.append(str(error))
    return problems


def condition_problems(documents: List[TreatmentDocument]) -> List[str]:
    path = settings.conditions_file()
    return [
        f"{path}: no treatment page contains '{term}', the words given for '{condition}'"
        for condition, (_, term) in load_condition_terms(path).items()
        if not any(first_sentence_with(document, term) for document in documents)
    ]


def main() -> int:
    paths = document_paths(settings.content_dir())
    if not paths:
        print(f"ERROR no treatment documents (*.txt) in {settings.content_dir()}")
        return 1
    problems: List[str] = []
    documents = []
    try:
        for path in paths:
            try:
                document = parse_document(path)
            except DocumentError as error:
                problems.append(str(error))
                continue
            documents.append(document)
            found = document_problems(document)
            problems += found
            if not found:
                print(f"ok    {path}: {document.name}, {len(document.sections)} sections")
        problems += condition_problems(documents)
        RedFlags.load(settings.red_flags_file())
    except (TopicError, ValueError, yaml.YAMLError, re.error) as error:
        problems.append(str(error))
    for problem in problems:
        print(f"ERROR {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
