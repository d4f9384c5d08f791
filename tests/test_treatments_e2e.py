"""End to end on a small copy of the project: the content team adds a second
treatment page (a made-up "PRP injections" page), its names and a handful of
questions that name it; `make validate`'s check passes, a model is trained, and
the real Rasa and action servers answer every question about the new treatment
from its page, ask which treatment when the patient doesn't say, and still answer
prolotherapy questions from the prolotherapy page."""
import shutil
from pathlib import Path
from typing import Dict, List

import pytest

from clinic import content_check, model_build
from clinic.local_servers import running_stack
from tests.small_project import examples_by_intent, small_project

FIXTURES = Path(__file__).parent / "fixtures"
TRAINING_EXAMPLES = 12  # per intent, from data/nlu/
# What the content team adds to the training data for the new page.
PRP_NAMES = """
  - lookup: treatment
    examples: |
      - PRP injections
      - PRP
      - platelet-rich plasma

  - synonym: prp injections
    examples: |
      - PRP
      - platelet-rich plasma
"""
PRP_QUESTIONS = {
    "ask_conditions": ["What is PRP used for?"],
    "ask_procedure": ["What happens during PRP injections?"],
    "ask_mechanism": ["How does platelet-rich plasma work?"],
    "ask_benefits": ["Why choose PRP injections?"],
    "ask_duration": ["How many PRP sessions will I need?"],
    "ask_results": ["Does PRP actually work?"],
    "ask_alternatives": ["What if PRP doesn't help?"],
    "ask_candidacy": ["Could PRP be right for me?"],
    "ask_side_effects": ["Is platelet-rich plasma painful?"],
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    examples: Dict[str, List[str]] = {
        intent: texts[:TRAINING_EXAMPLES] for intent, texts in examples_by_intent().items()}
    for intent, questions in PRP_QUESTIONS.items():
        examples[intent] = examples[intent] + questions
    root = small_project(tmp_path_factory.mktemp("treatments") / "project", examples)
    shutil.copy(FIXTURES / "prp-injections.txt", root / "content" / "treatments")
    with (root / "data" / "nlu" / "treatments.yml").open("a", encoding="utf-8") as names:
        names.write(PRP_NAMES)
    return root


@pytest.fixture(scope="module")
def stack(project, tmp_path_factory):
    model = model_build.train_version(project, project / "models")
    folder = tmp_path_factory.mktemp("treatments-stack")
    with running_stack(model, folder, f"sqlite:///{folder / 'conversations.db'}",
                       {"CLINIC_CONTENT_DIR": str(project / "content" / "treatments")}) as running:
        yield running


def test_the_content_check_accepts_the_second_page_with_its_names(project, monkeypatch, capsys):
    monkeypatch.setenv("CLINIC_CONTENT_DIR", str(project / "content" / "treatments"))
    monkeypatch.setenv("CLINIC_NLU_DIR", str(project / "data" / "nlu"))

    assert content_check.main() == 0
    assert "PRP Injections, version 1" in capsys.readouterr().out


def said(replies: List[Dict]) -> str:
    """What the patient reads (Rasa's REST channel splits a message at blank lines)."""
    return "\n\n".join(reply.get("text", "") for reply in replies)


def test_a_question_naming_the_new_treatment_is_answered_from_its_page(stack):
    answer = said(stack.send("patient-prp-1", "How long does a PRP session take?"))

    assert "One PRP session takes about 45 minutes" in answer
    assert "Source: the clinic's PRP Injections page" in answer

    # The questions that follow stay on PRP without naming it again.
    answer = said(stack.send("patient-prp-1", "What results can I expect?"))
    assert "six to twelve weeks" in answer
    assert "Source: the clinic's PRP Injections page" in answer


def test_without_a_treatment_named_the_assistant_asks_which_with_buttons(stack):
    # A question the small model was trained on, so that it is surely understood.
    [question] = stack.send("patient-prp-2", "how long is a session")

    assert question["text"] == "Which treatment would you like to know about?"
    assert [button["title"] for button in question["buttons"]] == [
        "Prolotherapy", "PRP Injections"]

    # A tap on a button sends its payload: the same question, naming the treatment.
    answer = said(stack.send("patient-prp-2", question["buttons"][1]["payload"]))
    assert "One PRP session takes about 45 minutes" in answer


def test_prolotherapy_questions_still_get_the_prolotherapy_page(stack):
    answer = said(stack.send("patient-prp-3", "what is prolotherapy"))

    assert "dextrose (sugar) solution" in answer
    assert "Source: the clinic's Prolotherapy page" in answer


def test_an_edited_sentence_is_answered_at_once_without_retraining(project, stack):
    page = project / "content" / "treatments" / "prolotherapy.txt"
    old, new = "about 15 to 30 minutes", "about 20 to 40 minutes"
    text = page.read_text("utf-8")
    assert old in text
    page.write_text(text.replace(old, new).replace("Version: 1", "Version: 2"), "utf-8")
    try:
        answer = said(stack.send("patient-edit", "how long does prolotherapy take"))
    finally:
        page.write_text(text, "utf-8")  # the other tests' page

    assert new in answer and old not in answer
    assert "(version 2, reviewed" in answer
