"""Several treatment pages: the patient's treatment picks the page; when none is
named the assistant asks which, with buttons; `make validate` checks that every
page can be named. Offline: actions, the content check, the name extractor."""
import asyncio
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerFromDocument
from clinic import content_check, settings
from clinic.documents import canonical_heading
from clinic.treatment_names import TreatmentNameExtractor
from tests.test_actions import DOMAIN, tracker

FIXTURES = Path(__file__).parent / "fixtures"
PRP = "prp injections"
TREATMENT_NAMES = """version: "3.1"
nlu:
  - lookup: treatment
    examples: |
      - prolotherapy
      - prolo
{prp_names}
  - synonym: prolotherapy
    examples: |
      - prolo
  - synonym: prp injections
    examples: |
      - PRP
      - platelet-rich plasma
"""
PRP_NAMES = "      - PRP injections\n      - PRP\n      - platelet-rich plasma"


@pytest.fixture
def two_pages(tmp_path, monkeypatch) -> Path:
    """The clinic's prolotherapy page and a made-up PRP page."""
    folder = tmp_path / "treatments"
    folder.mkdir()
    shutil.copy(settings.content_dir() / "prolotherapy.txt", folder)
    shutil.copy(FIXTURES / "prp-injections.txt", folder)
    monkeypatch.setenv("CLINIC_CONTENT_DIR", str(folder))
    return folder


def answer(intent: str, slots: Optional[Dict[str, Any]] = None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerFromDocument().run(
        dispatcher, tracker(intent, slots=slots), DOMAIN))
    return dispatcher.messages, events


def test_with_two_pages_and_no_treatment_named_the_assistant_asks_which(two_pages):
    messages, events = answer("ask_duration")

    [question] = messages
    assert question["response"] == "utter_ask_which_treatment"
    # Each button asks the same question again, naming its treatment.
    assert question["buttons"] == [
        {"title": "Prolotherapy", "payload": '/ask_duration{"treatment": "prolotherapy"}'},
        {"title": "PRP Injections", "payload": '/ask_duration{"treatment": "prp injections"}'},
    ]
    assert events == []


def test_the_named_treatment_s_page_answers_and_is_remembered(two_pages):
    messages, events = answer("ask_duration", slots={"treatment": PRP})

    [message] = messages
    assert "One PRP session takes about 45 minutes" in message["text"]
    assert "dextrose" not in message["text"]
    assert message["metadata"]["treatment"] == "PRP Injections"
    assert message["text"].endswith('Source: the clinic\'s PRP Injections page, "How Long Does '
                                    'It Take" (version 1, reviewed 20 Nov 2026).')
    assert events == [SlotSet("treatment", PRP), SlotSet("last_topic", "ask_duration")]


@pytest.mark.parametrize("intent, section, key_fact", [
    ("ask_conditions", "Conditions It Treats", "Achilles tendinopathy"),
    ("ask_procedure", "Procedure Description", "spun in a centrifuge"),
    ("ask_mechanism", "How Does It Help", "growth factors"),
    ("ask_benefits", "Procedure Benefits", "patient's own blood"),
    ("ask_duration", "How Long Does It Take", "about 45 minutes"),
    ("ask_results", "What Are the Expected Results", "six to twelve weeks"),
    ("ask_alternatives", "If It Doesn't Help, What Is Next", "physiotherapy"),
    ("ask_candidacy", "Is This Treatment Right for Me", "suit their injury"),
    ("ask_side_effects", "Procedure Benefits", "go home within the hour"),
])
def test_every_topic_is_answered_from_the_second_page(two_pages, intent, section, key_fact):
    message = answer(intent, slots={"treatment": PRP})[0][0]

    assert key_fact in message["text"]
    assert message["metadata"]["treatment"] == "PRP Injections"
    assert section in [canonical_heading(name) for name in message["metadata"]["sections"]]


def test_tell_me_more_stays_on_the_treatment_of_the_last_answer(two_pages):
    [message] = answer("ask_more", slots={"treatment": PRP, "last_topic": "ask_results"})[0]

    assert message["metadata"]["treatment"] == "PRP Injections"
    assert "discusses other options" in message["text"]


def test_a_treatment_whose_page_was_removed_is_asked_about_again(two_pages):
    [question] = answer("ask_benefits", slots={"treatment": "acupuncture"})[0]

    assert question["response"] == "utter_ask_which_treatment"


def test_with_one_page_it_answers_whatever_treatment_is_remembered():
    messages, events = answer("ask_benefits", slots={"treatment": PRP})

    assert messages[0]["metadata"]["treatment"] == "Prolotherapy"
    assert events == [SlotSet("last_topic", "ask_benefits")]


# `make validate`: every page can be named, every name leads to a page.

def content_check_output(monkeypatch, capsys, tmp_path: Path, prp_names: str) -> tuple:
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    (nlu / "treatments.yml").write_text(TREATMENT_NAMES.format(prp_names=prp_names), "utf-8")
    monkeypatch.setenv("CLINIC_NLU_DIR", str(nlu))
    code = content_check.main()
    return code, capsys.readouterr().out


def test_a_page_patients_cannot_name_stops_the_workflow(two_pages, tmp_path, monkeypatch, capsys):
    code, out = content_check_output(monkeypatch, capsys, tmp_path, prp_names="")

    assert code == 1
    assert "prp-injections.txt: patients can't name the PRP Injections page: add " \
           "'prp injections'" in out
    # Where to add it: the lookup table's file and line.
    assert "nlu/treatments.yml:3)" in out


def test_a_name_leading_to_no_page_is_reported(tmp_path, monkeypatch, capsys):
    code, out = content_check_output(monkeypatch, capsys, tmp_path, prp_names=PRP_NAMES)

    assert code == 1
    assert "'PRP' in lookup table 'treatment' names no treatment page (no page is called " \
           "'prp injections'); map it with a synonym to one of: prolotherapy" in out


def test_a_second_page_with_names_passes_with_a_note_on_narrowed_answers(
        two_pages, tmp_path, monkeypatch, capsys):
    code, out = content_check_output(monkeypatch, capsys, tmp_path, prp_names=PRP_NAMES)

    assert code == 0, out
    assert "ok    " in out and "PRP Injections, version 1" in out
    # topics.yml narrows some answers to the prolotherapy page's sentences.
    assert "prp-injections.txt: content/topics.yml narrows some answers" in out
    assert "'series of injections' in 'Procedure Description'" in out


# The NLU component that finds treatment names.

def extractor_trained_on(nlu_file: Path, tmp_path: Path) -> TreatmentNameExtractor:
    extractor = TreatmentNameExtractor.create(
        TreatmentNameExtractor.get_default_config(), LocalModelStorage(tmp_path),
        Resource("treatment_names"), ExecutionContext(graph_schema=None, model_id="test"))
    extractor.train(load_data(str(nlu_file)))
    return extractor


def entities(extractor: TreatmentNameExtractor, text: str) -> List[tuple]:
    [message] = extractor.process([Message.build(text=text)])
    return [(e["entity"], e["value"]) for e in message.get("entities", [])]


def test_treatment_names_are_found_and_other_lookup_tables_are_left_to_diet(tmp_path):
    nlu = tmp_path / "treatments.yml"
    nlu.write_text(TREATMENT_NAMES.format(prp_names=PRP_NAMES)
                   + "  - lookup: condition\n    examples: |\n      - knee\n", "utf-8")
    extractor = extractor_trained_on(nlu, tmp_path)

    assert entities(extractor, "How long do prp injections take?") == [
        ("treatment", "prp injections")]
    assert entities(extractor, "Does Prolotherapy help my knee?") == [
        ("treatment", "Prolotherapy")]
    # Whole words only: "prologue" is not "prolo".
    assert entities(extractor, "read the prologue") == []
