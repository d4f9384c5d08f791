"""Custom actions, run offline with a tracker, dispatcher and domain built in code."""
import asyncio
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerFromDocument
from actions.contact import ActionShareClinicContact
from actions.greeting import ActionGreetPatient
from clinic.documents import canonical_heading
from clinic.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def tracker(intent: str, text: str = "", slots: Optional[Dict[str, Any]] = None) -> Tracker:
    return Tracker(
        sender_id="patient-1",
        slots=slots or {},
        latest_message={"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action, intent: str, **kwargs) -> tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(intent, **kwargs), DOMAIN))
    return dispatcher.messages, events


def test_duration_answer_quotes_the_page_and_names_its_sections():
    messages, events = run(ActionAnswerFromDocument(), "ask_duration")

    assert events == []
    [message] = messages
    assert "15 to 30 minutes" in message["text"]
    assert "series of injections over several weeks or months" in message["text"]
    assert message["text"].endswith(
        'Source: the clinic\'s Prolotherapy page, "How Long Does It Take" and '
        '"Procedure Description".'
    )
    assert message["metadata"] == {
        "treatment": "Prolotherapy",
        "sections": ["How Long Does It Take", "Procedure Description"],
    }


@pytest.mark.parametrize(
    "intent, section, key_fact",
    [
        ("ask_conditions", "Conditions It Treats", "osteoarthritis, tendonitis, ligament injuries"),
        ("ask_procedure", "Procedure Description", "dextrose (sugar) solution"),
        ("ask_mechanism", "How Does It Help", "natural healing process"),
        ("ask_benefits", "Procedure Benefits", "Minimally Invasive"),
        ("ask_results", "What Are the Expected Results", "pain relief and improved function"),
        ("ask_alternatives", "If It Doesn't Help, What Is Next", "Further Evaluation"),
        ("ask_candidacy", "Is This Treatment Right for Me", "consult with a healthcare provider"),
        ("ask_side_effects", "Procedure Benefits", "minimal discomfort and downtime"),
    ],
)
def test_every_treatment_topic_is_answered_from_its_section(intent, section, key_fact):
    [message] = run(ActionAnswerFromDocument(), intent)[0]

    assert key_fact in message["text"]
    assert section in [canonical_heading(name) for name in message["metadata"]["sections"]]


def test_side_effects_answer_quotes_only_the_relevant_sentences():
    [message] = run(ActionAnswerFromDocument(), "ask_side_effects")[0]

    assert "irritates the tissue, leading to inflammation" in message["text"]
    # The rest of the benefits section is not a side effect and is not quoted.
    assert "Pain Relief" not in message["text"]


def test_a_topic_without_a_document_section_asks_to_rephrase():
    messages, events = run(ActionAnswerFromDocument(), "greet")

    assert messages == [_response("utter_please_rephrase")]
    assert events == []


def test_contact_details_come_from_the_clinic_settings():
    [message] = run(ActionShareClinicContact(), "request_human")[0]

    assert message["response"] == "utter_clinic_contact"
    assert message["phone"] == "+1 555 0100"
    assert message["email"] == "reception@example-clinic.org"
    assert message["hours"] == "Monday to Friday, 9am to 5pm"


def test_first_greeting_shows_the_automated_assistant_notice_and_remembers_it():
    messages, events = run(ActionGreetPatient(), "greet")

    assert [m["response"] for m in messages] == ["utter_greet_with_disclaimer"]
    assert events == [SlotSet("disclaimer_shown", True)]


def test_later_greetings_do_not_repeat_the_notice():
    messages, events = run(ActionGreetPatient(), "greet", slots={"disclaimer_shown": True})

    assert [m["response"] for m in messages] == ["utter_greet_again"]
    assert events == []


def _response(name: str) -> Dict[str, Any]:
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(response=name)
    return dispatcher.messages[0]
