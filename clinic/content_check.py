"""Check the treatment documents and the topics that quote them.

`python -m clinic.content_check` (part of `make validate`) parses every document
and builds every topic's answer from it, so a broken page or a topic that no
longer matches its page is reported, with file and line, before training.
"""
import sys

from clinic import settings
from clinic.answers import TopicError, answer, load_topics
from clinic.documents import DocumentError, document_paths, parse_document


def main() -> int:
    paths = document_paths(settings.content_dir())
    if not paths:
        print(f"ERROR no treatment documents (*.txt) in {settings.content_dir()}")
        return 1
    failures = 0
    try:
        topics = load_topics(settings.topics_file())
    except TopicError as error:
        print(f"ERROR {error}")
        return 1
    for path in paths:
        try:
            document = parse_document(path)
            for parts in topics.values():
                answer(document, parts)
        except (DocumentError, TopicError) as error:
            failures += 1
            print(f"ERROR {error}")
        else:
            print(f"ok    {path}: {document.name}, {len(document.sections)} sections, "
                  f"{len(topics)} topics answered")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
