"""`make export-annotations`: staff annotations into the training data, with
temporary training data, held-out and database (one test exports into a copy
of the real data/ and checks it the way `make validate` does)."""
import csv
import shutil
import subprocess
from pathlib import Path
from typing import Iterator, Sequence

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from clinic import training_data_check
from clinic.annotations import NEW_TOPIC, Annotations
from clinic.audit_log import AuditLog
from clinic.conversation_index import ConversationIndex
from clinic.database import Database
from clinic.export_annotations import HEADER, ExportResult, export, main, report
from clinic.local_servers import VENV_BIN
from clinic.settings import PROJECT_ROOT
from clinic.staff import Staff
from tests.rasa_events import RasaEvents, patient

EDITOR = Staff(id=7, username="ed", display_name="Ed Editor", role="editor")
TRAINING = """\
version: "3.1"
nlu:
- intent: ask_cost
  examples: |
    - how much does it cost
    - what is the price of a session
- intent: ask_conditions
  examples: |
    - can it help my [knee](condition)
- intent: ask_duration
  examples: |
    - how long does a session take
- intent: ask_appointment
  examples: |
    - when are you open
- intent: ask_procedure
  examples: |
    - what is prolotherapy
"""
HELD_OUT = """\
version: "3.1"
nlu:
- intent: ask_cost
  examples: |
    - is it covered by my insurance plan
"""


class Folders:
    def __init__(self, root: Path) -> None:
        self.nlu = root / "data" / "nlu"
        self.heldout = root / "heldout"
        self.new_topics = root / "results" / "new_topics.csv"
        self.output = self.nlu / "annotations.yml"


class Annotating:
    """Patients' messages in a database's conversation index, and an editor annotating them."""

    def __init__(self, database_url: str) -> None:
        self.database = Database(database_url)
        self.rasa = RasaEvents(database_url)
        self.index = ConversationIndex(self.database)
        self.annotations = Annotations(self.database)
        self.count = 0

    def annotate(self, text: str, intent: str, note: str = None,
                 entities: Sequence[dict] = ()) -> int:
        self.count += 1
        conversation = f"c{self.count}"
        self.rasa.save(conversation, patient(text, "nlu_fallback", 0.4, entities=entities))
        self.index.index_new_events()
        event_id = self.index_event(conversation)
        return self.annotations.annotate(EDITOR, conversation, event_id, intent, note)["id"]

    def index_event(self, conversation: str) -> int:
        with self.database.engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT event_id FROM conversation_messages WHERE sender_id = ?",
                (conversation,)).scalar()

    def close(self) -> None:
        self.rasa.close()
        self.database.engine.dispose()


@pytest.fixture
def folders(tmp_path) -> Folders:
    folders = Folders(tmp_path)
    folders.nlu.mkdir(parents=True)
    folders.heldout.mkdir()
    (folders.nlu / "questions.yml").write_text(TRAINING)
    (folders.heldout / "heldout.yml").write_text(HELD_OUT)
    return folders


@pytest.fixture
def editor(tmp_path) -> Iterator[Annotating]:
    annotating = Annotating(f"sqlite:///{tmp_path / 'clinic.db'}")
    yield annotating
    annotating.close()


def run_export(editor: Annotating, folders: Folders) -> ExportResult:
    return export(editor.annotations, folders.nlu, folders.heldout, folders.new_topics)


def examples(path: Path) -> list:
    return [(m.get("intent"), m.get("text"), m.get("entities"))
            for m in load_data(str(path)).intent_examples]


def test_annotated_messages_become_examples_of_their_intent(editor, folders):
    editor.annotate("Is there parking at the clinic?", "ask_appointment")
    editor.annotate("  will it help my sore knees  ", "ask_conditions", entities=[
        {"start": 23, "end": 28, "value": "knee", "entity": "condition"}])  # in the text sent
    editor.annotate("what do I pay for one injection", "ask_cost")

    result = run_export(editor, folders)

    written = folders.output.read_text()
    assert written.startswith(HEADER)
    assert written.index("intent: ask_appointment") < written.index("intent: ask_conditions") \
        < written.index("intent: ask_cost")  # grouped by intent
    assert '- will it help my sore [knees]{"entity": "condition", "value": "knee"}' in written
    assert sorted(examples(folders.output)) == [
        ("ask_appointment", "Is there parking at the clinic?", None),
        ("ask_conditions", "will it help my sore knees",
         [{"start": 21, "end": 26, "value": "knee", "entity": "condition"}]),
        ("ask_cost", "what do I pay for one injection", None)]
    assert len(result.added) == 3 and not (result.skipped or result.refused)
    assert editor.annotations.not_exported() == []
    summary = report(result, folders.output, folders.new_topics)
    assert "3 new training example(s) added to" in summary and "make validate train" in summary

    again = run_export(editor, folders)
    assert report(again, folders.output, folders.new_topics) == (
        "Nothing to export: no annotations since the last export.")


def test_messages_already_in_the_training_data_are_skipped(editor, folders):
    editor.annotate("How much does it COST??", "ask_cost")
    editor.annotate("what do I pay for one injection", "ask_cost")
    editor.annotate("What do I pay for one injection!", "ask_cost")  # the same, annotated twice

    result = run_export(editor, folders)

    assert [a["text"] for a in result.skipped] == [
        "How much does it COST??", "What do I pay for one injection!"]
    assert examples(folders.output) == [("ask_cost", "what do I pay for one injection", None)]
    assert editor.annotations.not_exported() == []
    assert "2 already in the training data: skipped." in report(
        result, folders.output, folders.new_topics)


def test_messages_that_conflict_with_the_training_data_are_refused_and_kept(editor, folders):
    editor.annotate("how long does a session take?", "ask_cost")  # an ask_duration example
    editor.annotate("what does a session cost in dollars", "ask_cost")
    editor.annotate("What does a session cost, in dollars?", "ask_duration")  # two intents
    editor.annotate("what is the price of a session", "bogus_intent")

    result = run_export(editor, folders)

    assert [r.reason for r in result.refused] == [
        "already an example of ask_duration: 'how long does a session take'",
        "the same message was annotated with different intents: ask_cost, ask_duration",
        "the same message was annotated with different intents: ask_cost, ask_duration",
        "'bogus_intent' is no longer an intent of the training data"]
    assert not folders.output.exists() and not result.added
    assert [a["id"] for a in editor.annotations.not_exported()] == [1, 2, 3, 4]
    summary = report(result, folders.output, folders.new_topics)
    assert "4 refused, left unexported" in summary
    assert ("annotation 1 (conversation c1, message 1, ask_cost): already an example of "
            "ask_duration") in summary
    assert "make validate train" not in summary  # nothing new to train on


def test_almost_the_same_words_as_an_example_count_as_it(editor, folders):
    (folders.nlu / "more.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: ask_duration\n  examples: |\n'
        "    - how many weeks will the whole course of injections take\n")
    editor.annotate("how many weeks will the whole course of the injections take", "ask_cost")
    editor.annotate("the whole course of injections, how many weeks will it take",
                    "ask_duration")

    result = run_export(editor, folders)

    assert [r.reason for r in result.refused] == [
        "almost the same as an example of ask_duration: "
        "'how many weeks will the whole course of injections take'"]
    assert len(result.skipped) == 1 and not folders.output.exists()


def test_a_message_of_the_held_out_sets_is_refused_without_showing_it(editor, folders):
    editor.annotate("Is it covered by my insurance plan?", "ask_cost")

    result = run_export(editor, folders)

    [refusal] = result.refused
    assert "held-out test sets" in refusal.reason and "insurance" not in refusal.reason
    assert "insurance" not in report(result, folders.output, folders.new_topics)
    assert not folders.output.exists()
    assert len(editor.annotations.not_exported()) == 1


def test_new_topics_are_listed_for_the_content_team_not_trained_on(editor, folders):
    editor.annotate("do you do PRP injections too?", NEW_TOPIC, note="PRP: no page yet")
    editor.annotate("=HYPERLINK(\"http://example.com\")", NEW_TOPIC)
    first = run_export(editor, folders)
    editor.annotate("and stem cells?", NEW_TOPIC)

    second = run_export(editor, folders)

    assert not folders.output.exists()
    assert len(first.new_topics) == 2 and len(second.new_topics) == 1
    with folders.new_topics.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(row["message"], row["note"], row["annotated_by"]) for row in rows] == [
        ("do you do PRP injections too?", "PRP: no page yet", "Ed Editor"),
        ("'=HYPERLINK(\"http://example.com\")", "", "Ed Editor"),  # never run as a formula
        ("and stem cells?", "", "Ed Editor")]
    assert all(row["first_listed_at"] for row in rows)
    assert "1 new topic(s) annotated since the last export; all 3 listed in" in report(
        second, folders.output, folders.new_topics)


def test_text_the_file_format_would_read_as_markup_is_refused(editor, folders):
    editor.annotate("what is [prolo](condition) exactly", "ask_procedure")
    editor.annotate("???", "ask_cost")

    result = run_export(editor, folders)

    assert [r.reason for r in result.refused] == [
        "the text holds what the training data format reads as markup (like [words](entity)): "
        "add it by hand if it is worth it",
        "the message has no words to learn from"]
    assert not folders.output.exists()


def test_the_next_export_keeps_what_the_file_holds_hand_edits_included(editor, folders):
    editor.annotate("what do I pay for one injection", "ask_cost")
    run_export(editor, folders)
    folders.output.write_text(folders.output.read_text().replace(
        "what do I pay for one injection", "what do i pay for a single injection"))

    editor.annotate("is there parking at the clinic", "ask_appointment")
    run_export(editor, folders)

    assert examples(folders.output) == [
        ("ask_appointment", "is there parking at the clinic", None),
        ("ask_cost", "what do i pay for a single injection", None)]


def test_the_exported_data_passes_make_validate(editor, tmp_path):
    """Into a copy of the real training data: `make validate`'s checks pass."""
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    existing_intent, existing_text = training_data_check.load_examples(data / "nlu")[0]
    editor.annotate("do you validate parking tickets at the clinic", "ask_appointment")
    editor.annotate("my shoulder clicks when I lift my arm, would prolo help it", "ask_conditions",
                    entities=[{"start": 3, "end": 11, "value": "shoulder", "entity": "condition"}])
    editor.annotate(existing_text, "ask_cost" if existing_intent != "ask_cost" else "greet")
    editor.annotate("do you offer acupuncture", NEW_TOPIC)

    result = export(editor.annotations, data / "nlu", training_data_check.HELDOUT_DIR,
                    tmp_path / "new_topics.csv")

    assert (len(result.added), len(result.refused), len(result.new_topics)) == (2, 1, 1)
    exported = training_data_check.load_examples(data / "nlu")
    assert (training_data_check.too_few_examples(exported)
            + training_data_check.shared_between_intents(exported)
            + training_data_check.near_duplicates(exported)) == []
    assert training_data_check.leaked_into_heldout(
        exported, training_data_check.load_examples(training_data_check.HELDOUT_DIR)) == []
    validation = subprocess.run(
        [str(VENV_BIN / "rasa"), "data", "validate", "--domain", "domain", "--data", str(data),
         "--fail-on-warnings"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert validation.returncode == 0, validation.stdout[-3000:] + validation.stderr[-3000:]


def test_the_command_says_what_it_did_and_the_audit_log_records_it(tmp_path, monkeypatch, capsys):
    database_url = f"sqlite:///{tmp_path / 'clinic.db'}"
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main([]) == 0

    assert capsys.readouterr().out == "Nothing to export: no annotations since the last export.\n"
    database = Database(database_url)
    [entry] = AuditLog(database).page(1).entries
    database.engine.dispose()
    assert (entry["action"], entry["details"]) == (
        "annotations_exported", {"added": 0, "skipped": 0, "refused": 0, "new_topics": 0})
