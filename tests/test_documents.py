"""The treatment-document parser: the real page parses; malformed pages are
reported with file, line and what to fix; `make validate`'s content check stops
on them and warns on a page not reviewed for too long."""
import os
from datetime import date
from pathlib import Path

import pytest

from clinic import content_check, settings
from clinic.answers import Answer, TopicError, load_topics
from clinic.documents import (
    KNOWN_HEADINGS, DocumentError, bullet_point, human_date, load_documents, months_after,
    parse_document,
)

PAGE = (settings.content_dir() / "prolotherapy.txt").read_text(encoding="utf-8")
LINES = PAGE.splitlines()
TODAY = date(2026, 11, 26)


def last_line(text: str, line: str) -> int:
    """The number (1-based) of the last line of `text` that is `line`."""
    lines = text.splitlines()
    return len(lines) - lines[::-1].index(line)


def write(tmp_path: Path, text: str, name: str = "page.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_clinic_page_has_every_section_in_order():
    document = load_documents(settings.content_dir())["prolotherapy"]

    assert document.name == "Prolotherapy"
    assert LINES[:2] == ["Version: 1", "Last reviewed: 2026-11-26"]
    assert (document.version, document.reviewed) == (1, date(2026, 11, 26))
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
    with pytest.raises(DocumentError, match="missing section.*How Long Does It Take") as error:
        parse_document(write(tmp_path, text))
    # Reported where it belongs: before the next section's heading.
    assert error.value.line == text.splitlines().index("What Are the Expected Results:") + 1
    assert "'How Long Does It Take:' goes before line" in error.value.problem


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


def test_a_misspelt_heading_gets_the_closest_known_one(tmp_path):
    text = PAGE.replace("Procedure Benefits:", "Procedure benefit:")

    with pytest.raises(DocumentError) as error:
        parse_document(write(tmp_path, text))
    assert error.value.line == LINES.index("Procedure Benefits:") + 1
    assert "did you mean 'Procedure Benefits:'?" in error.value.problem


def test_a_heading_without_its_colon_is_reported_at_its_line(tmp_path):
    text = PAGE.replace("How Does It Help:", "How does it help")

    with pytest.raises(DocumentError) as error:
        parse_document(write(tmp_path, text))
    assert error.value.line == LINES.index("How Does It Help:") + 1
    assert "needs a ':' at its end; write 'How Does It Help:'" in error.value.problem


def test_duplicate_heading_points_to_the_first(tmp_path):
    text = PAGE + "\nProcedure Benefits:\n\nMore benefits.\n"

    with pytest.raises(DocumentError, match="appears twice .first on line") as error:
        parse_document(write(tmp_path, text))
    assert error.value.line == last_line(text, "Procedure Benefits:")
    assert f"(first on line {LINES.index('Procedure Benefits:') + 1})" in error.value.problem


def test_wrong_encoding_is_reported_with_the_line(tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.replace("Treatments", "Traitements r\u00e9g\u00e9n\u00e9ratifs")
                     .encode("latin-1", errors="replace"))

    with pytest.raises(DocumentError, match="not UTF-8") as error:
        parse_document(path)
    assert error.value.line == LINES.index("Treatments") + 1
    assert "byte 0xE9 ('é' in Latin-1/Windows-1252) at column 14" in error.value.problem
    assert "save it with UTF-8 encoding" in error.value.problem


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_reported_with_its_byte_order_mark(tmp_path, encoding):
    path = tmp_path / "page.txt"
    data = PAGE.encode(encoding)
    path.write_bytes(data if data[:2] in (b"\xff\xfe", b"\xfe\xff") else b"\xfe\xff" + data)

    with pytest.raises(DocumentError, match=r"saved as UTF-16 .* save it with UTF-8") as error:
        parse_document(path)
    assert error.value.line == 1


def test_a_utf16_file_without_byte_order_mark_is_reported(tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.encode("utf-16-le"))

    with pytest.raises(DocumentError, match="NUL characters.*save it with UTF-8") as error:
        parse_document(path)
    assert error.value.line == 1


def test_utf8_with_a_byte_order_mark_is_utf8(tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.encode("utf-8-sig"))

    document = parse_document(path)
    assert (document.name, document.version) == ("Prolotherapy", 1)


def replace_line(number: int, new: str) -> str:
    """The page with its line `number` (1-based) replaced by `new` lines."""
    return "\n".join(LINES[: number - 1] + new.splitlines() + LINES[number:]) + "\n"


@pytest.mark.parametrize("text, line, problem", [
    ("\n".join(LINES[2:]), 1,
     "must start with its version and the date it was last reviewed: add 'Version: 1' on "
     "line 1 and 'Last reviewed: 2026-11-26' on line 2, above the treatment's name"),
    (replace_line(1, "Version: one"), 1,
     "the version line reads 'Version: one'; write 'Version: ' and a whole number"),
    (replace_line(1, "Version: 1.2"), 1, "the version line reads 'Version: 1.2'"),
    (replace_line(1, "Version: 0"), 1, "the version line reads 'Version: 0'"),
    (replace_line(1, "version 1"), 1, "must start with its version"),
    (replace_line(1, "Version:"), 1, "the version line reads 'Version:'"),
    ("\n".join([LINES[1], LINES[0]] + LINES[2:]), 1,
     "line 1 must be the version, line 2 the review date"),
    (replace_line(2, ""), 2,
     "line 2 must be the date the page was last reviewed: add 'Last reviewed: 2026-11-26'"),
    (replace_line(2, "Last reviewed: 26/11/2026"), 2,
     "the review date line reads 'Last reviewed: 26/11/2026'; write 'Last reviewed: ' and the "
     "date as YYYY-MM-DD, e.g. 'Last reviewed: 2026-11-26'"),
    (replace_line(2, "Last reviewed: November 2026"), 2, "as YYYY-MM-DD"),
    (replace_line(2, "Reviewed: 2026-11-26"), 2, "line 2 must be the date"),
    (replace_line(2, "Last reviewed: 2026-02-30"), 2, "'2026-02-30' is not a real date"),
    (replace_line(2, "Last reviewed: 2027-11-26"), 2,
     "the review date 2027-11-26 is in the future (today is 2026-11-26)"),
    (PAGE + "\nLast reviewed: 2026-11-26\n",
     last_line(PAGE + "\nLast reviewed: 2026-11-26\n", "Last reviewed: 2026-11-26"),
     "'Last reviewed: 2026-11-26' belongs only in the two header lines at the top"),
    (replace_line(3, "Version: 2"), 3, "'Version: 2' belongs only in the two header lines"),
    ("Version: 1\nLast reviewed: 2026-11-26\n\n", 4,
     "after the two header lines comes the treatment's name"),
], ids=["no header", "version in words", "version with a point", "version 0",
        "version without colon", "version empty", "lines swapped", "no date", "date d/m/y",
        "date in words", "date label", "no such day", "date in the future",
        "date line again at the end", "version line again", "no name"])
def test_missing_or_invalid_version_or_review_date(tmp_path, text, line, problem):
    with pytest.raises(DocumentError) as error:
        parse_document(write(tmp_path, text), today=TODAY)

    assert (error.value.line, error.value.path.name) == (line, "page.txt")
    assert problem in error.value.problem
    assert str(error.value).startswith(f"{error.value.path}:{line}: ")


def test_a_review_date_of_tomorrow_is_accepted():
    # The clinic's time zone may be a day ahead of the server's.
    path = settings.content_dir() / "prolotherapy.txt"
    assert parse_document(path, today=date(2026, 11, 25)).reviewed == date(2026, 11, 26)


def test_an_edit_is_read_at_once_even_of_the_same_length_at_the_same_moment(tmp_path):
    path = write(tmp_path, PAGE)
    assert parse_document(path).version == 1
    modified = path.stat().st_mtime_ns
    write(tmp_path, PAGE.replace("Version: 1", "Version: 2", 1))
    # The same size and, where the clock is coarse, the same modification time:
    # only the text says the page has changed.
    os.utime(path, ns=(modified, modified))
    assert parse_document(path).version == 2


def test_an_edit_that_breaks_the_page_is_reported_not_the_old_version_answered(tmp_path):
    path = write(tmp_path, PAGE)
    parse_document(path)
    write(tmp_path, PAGE.replace("How Long Does It Take:", "How Long Does It Take"))
    with pytest.raises(DocumentError, match="needs a ':'"):
        parse_document(path)


def test_an_edit_of_the_topics_is_read_at_once_and_a_broken_one_reported(tmp_path):
    path = tmp_path / "topics.yml"
    topics = settings.topics_file().read_text(encoding="utf-8")
    path.write_text(topics, encoding="utf-8")
    assert load_topics(path)["ask_conditions"].label == "What it treats"
    path.write_text(topics.replace("label: What it treats", "label: What it helps"), "utf-8")
    assert load_topics(path)["ask_conditions"].label == "What it helps"
    path.write_text(topics.replace("label: What it treats", "labl: What it treats"), "utf-8")
    with pytest.raises(TopicError, match="'ask_conditions' has no label"):
        load_topics(path)


def test_answers_name_the_document_s_version_and_review_date():
    document = load_documents(settings.content_dir())["prolotherapy"]
    quoted = Answer.quoting(document, (("How Long Does It Take", "About 30 minutes."),))

    assert quoted.source == ('Source: the clinic\'s Prolotherapy page, "How Long Does It Take" '
                             '(version 1, reviewed 26 Nov 2026).')
    assert quoted.metadata["version"] == 1
    assert quoted.metadata["reviewed"] == "2026-11-26"


def test_dates_and_months():
    assert human_date(date(2026, 1, 5)) == "5 Jan 2026"
    assert months_after(date(2025, 11, 26), 12) == date(2026, 11, 26)
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_bullet_point_label_and_text():
    assert bullet_point("• Pain Relief: It can help.") == ("Pain Relief", "It can help.")
    assert bullet_point("•  No label here") == ("", "No label here")
    assert bullet_point("A paragraph: not a bullet.") is None


# `make validate`: the content check (clinic/content_check.py).

def check(tmp_path: Path, monkeypatch, capsys, text: str, today: date = TODAY,
          months: int = None) -> tuple:
    folder = tmp_path / "treatments"
    folder.mkdir()
    write(folder, text, "prolotherapy.txt")
    monkeypatch.setenv("CLINIC_CONTENT_DIR", str(folder))
    if months is not None:
        clinic_settings = (settings.PROJECT_ROOT / "settings/clinic.yml").read_text("utf-8")
        path = tmp_path / "clinic.yml"
        path.write_text(clinic_settings.replace("review_every_months: 12",
                                                f"review_every_months: {months}"), "utf-8")
        monkeypatch.setenv("CLINIC_SETTINGS_FILE", str(path))
    code = content_check.main(today=today)
    return code, capsys.readouterr().out


def test_the_content_check_passes_the_clinic_page(tmp_path, monkeypatch, capsys):
    code, out = check(tmp_path, monkeypatch, capsys, PAGE)

    assert code == 0
    assert "prolotherapy.txt: Prolotherapy, version 1, reviewed 26 Nov 2026, 8 sections" in out
    assert "WARN" not in out and "ERROR" not in out


@pytest.mark.parametrize("text, line, problem", [
    (PAGE.replace("How Long Does It Take:", ""),
     LINES.index("What Are the Expected Results:") + 1,
     "missing section(s): How Long Does It Take"),
    (PAGE.replace("Procedure Benefits:", "Why Patients Love It:"),
     LINES.index("Procedure Benefits:") + 1, "unknown heading 'Why Patients Love It'"),
    (PAGE + "\nProcedure Benefits:\n\nMore.\n",
     last_line(PAGE + "\nProcedure Benefits:\n\nMore.\n", "Procedure Benefits:"),
     "heading 'Procedure Benefits' appears twice"),
    (replace_line(LINES.index("How Does It Help:") + 3, ""), LINES.index("How Does It Help:") + 1,
     "section 'How Does It Help' is empty"),
    ("\n".join(LINES[2:]), 1, "the document must start with its version"),
    (replace_line(2, "Last reviewed: 2026-13-01"), 2, "'2026-13-01' is not a real date"),
], ids=["missing section", "unknown heading", "duplicate heading", "empty section",
        "no header", "invalid date"])
def test_the_content_check_stops_on_a_malformed_page(tmp_path, monkeypatch, capsys,
                                                     text, line, problem):
    code, out = check(tmp_path, monkeypatch, capsys, text)

    assert code == 1
    assert f"ERROR {tmp_path / 'treatments' / 'prolotherapy.txt'}:{line}: {problem}" in out
    assert "before training" in out


def test_the_content_check_stops_on_a_wrong_encoding(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "treatments"
    folder.mkdir()
    (folder / "prolotherapy.txt").write_bytes(PAGE.replace("dextrose", "dextrose\u00ae")
                                              .encode("cp1252"))
    monkeypatch.setenv("CLINIC_CONTENT_DIR", str(folder))

    assert content_check.main(today=TODAY) == 1
    out = capsys.readouterr().out
    line = next(number for number, text in enumerate(LINES, 1) if "dextrose" in text)
    assert f"prolotherapy.txt:{line}: the file is not UTF-8 text: byte 0xAE" in out


def test_a_page_not_reviewed_for_a_year_gets_a_warning_not_an_error(tmp_path, monkeypatch,
                                                                    capsys):
    code, out = check(tmp_path, monkeypatch, capsys, PAGE, today=date(2027, 11, 27))

    assert code == 0
    assert (f"WARN  {tmp_path / 'treatments' / 'prolotherapy.txt'}:2: the Prolotherapy page "
            "(version 1) was last reviewed on 26 Nov 2026, more than 12 months ago") in out
    assert "ERROR" not in out


def test_a_page_reviewed_within_the_period_gets_no_warning(tmp_path, monkeypatch, capsys):
    code, out = check(tmp_path, monkeypatch, capsys, PAGE, today=date(2027, 11, 26))

    assert (code, "WARN" in out) == (0, False)


def test_the_review_period_is_a_clinic_setting(tmp_path, monkeypatch, capsys):
    code, out = check(tmp_path, monkeypatch, capsys, PAGE, today=date(2027, 5, 27), months=6)

    assert code == 0
    assert "more than 6 months ago (review due by 26 May 2027)" in out


def test_an_invalid_review_period_is_an_error(tmp_path, monkeypatch, capsys):
    code, out = check(tmp_path, monkeypatch, capsys, PAGE, months=0)

    assert code == 1
    assert "review_every_months must be a whole number of months, 1 or more (it is 0)" in out


def test_the_content_check_names_files_as_the_content_team_knows_them(tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.chdir(tmp_path)
    code, out = check(tmp_path, monkeypatch, capsys, replace_line(1, "Version: two"))

    assert code == 1
    assert "ERROR treatments/prolotherapy.txt:1: the version line reads 'Version: two'" in out
