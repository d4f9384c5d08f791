"""The treatment-document parser: the real page parses; malformed pages are
reported with file, line and what to fix."""
from pathlib import Path

import pytest

from clinic import settings
from clinic.documents import (
    KNOWN_HEADINGS, DocumentError, bullet_point, load_documents, parse_document,
)

PAGE = (settings.content_dir() / "prolotherapy.txt").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "page.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_clinic_page_has_every_section_in_order():
    document = load_documents(settings.content_dir())["prolotherapy"]

    assert document.name == "Prolotherapy"
    assert [s.heading.replace("\u2019", "'") for s in document.sections.values()] == list(
        KNOWN_HEADINGS
    )
    benefits = document.section("Procedure Benefits")
    assert len(benefits.paragraphs) == 3
    assert benefits.paragraphs[0].startswith("• Pain Relief:")


def test_missing_section_is_named(tmp_path):
    text = PAGE.replace("How Long Does It Take:", "").replace(
        "The duration of a prolotherapy session", "The duration"
    )
    # The section's text now belongs to the previous one; its heading is missing.
    with pytest.raises(DocumentError, match="missing section.*How Long Does It Take"):
        parse_document(write(tmp_path, text))


def test_empty_section_is_reported_with_its_line(tmp_path):
    lines = PAGE.splitlines()
    start = lines.index("How Long Does It Take:")
    end = lines.index("What Are the Expected Results:")
    text = "\n".join(lines[: start + 1] + [""] + lines[end:])

    with pytest.raises(DocumentError) as error:
        parse_document(write(tmp_path, text))
    assert error.value.line == start + 1
    assert "section 'How Long Does It Take' is empty" in error.value.problem


def test_unknown_heading_lists_the_known_ones(tmp_path):
    text = PAGE.replace("Procedure Benefits:", "Why Patients Love It:")

    with pytest.raises(DocumentError, match="unknown heading 'Why Patients Love It'; use one of"):
        parse_document(write(tmp_path, text))


def test_duplicate_heading_points_to_the_first(tmp_path):
    text = PAGE + "\nProcedure Benefits:\n\nMore benefits.\n"

    with pytest.raises(DocumentError, match="appears twice .first on line"):
        parse_document(write(tmp_path, text))


def test_wrong_encoding_is_reported_with_the_line(tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.replace("Treatments", "Traitements r\u00e9g\u00e9n\u00e9ratifs")
                     .encode("latin-1", errors="replace"))

    with pytest.raises(DocumentError, match="not UTF-8") as error:
        parse_document(path)
    assert error.value.line == 3


def test_bullet_point_label_and_text():
    assert bullet_point("• Pain Relief: It can help.") == ("Pain Relief", "It can help.")
    assert bullet_point("•  No label here") == ("", "No label here")
    assert bullet_point("A paragraph: not a bullet.") is None
