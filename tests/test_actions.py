"""Custom actions, run offline with a tracker, dispatcher and domain built in code."""
import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerFromDocument
from actions.clarification import ActionOfferLikelyTopics
from actions.contact import utter_clinic_contact
from actions.greeting import ActionGreetPatient
from clinic.documents import canonical_heading
from clinic.settings import PROJECT_ROOT

DOMAIN = Domain.load(PROJECT_ROOT / "domain").as_dict()


def tracker(intent: str, text: str = "", slots: Optional[Dict[str, Any]] = None,
            ranking: Optional[List[Dict[str, Any]]] = None,
            entities: Optional[List[Dict[str, Any]]] = None) -> Tracker:
    return Tracker(
        sender_id="patient-1",
        slots=slots or {},
        latest_message={"intent": {"name": intent, "confidence": 0.9},
                        "entities": entities or [],
                        "text": text, "intent_ranking": ranking or []},
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

    assert events == [SlotSet("last_topic", "ask_duration")]
    [message] = messages
    assert "15 to 30 minutes" in message["text"]
    assert "series of injections over several weeks or months" in message["text"]
    source = ('Source: the clinic\'s Prolotherapy page, "How Long Does It Take" and '
              '"Procedure Description" (version 1, reviewed 26 Nov 2026).')
    assert message["text"].endswith(source)
    # The chat widget shows the source apart, as a caption.
    assert message["metadata"] == {
        "treatment": "Prolotherapy",
        "sections": ["How Long Does It Take", "Procedure Description"],
        "source": source,
        "version": 1,
        "reviewed": "2026-11-26",
        "topic": "ask_duration",
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
    message = run(ActionAnswerFromDocument(), intent)[0][0]

    assert key_fact in message["text"]
    assert section in [canonical_heading(name) for name in message["metadata"]["sections"]]


def test_side_effects_answer_quotes_only_the_relevant_sentences_and_says_what_is_missing():
    [message, note] = run(ActionAnswerFromDocument(), "ask_side_effects")[0]

    assert "irritates the tissue, leading to inflammation" in message["text"]
    # The rest of the benefits section is not a side effect and is not quoted.
    assert "Pain Relief" not in message["text"]
    assert note["response"] == "utter_side_effects_not_listed"


def test_a_topic_without_a_document_section_asks_to_rephrase():
    messages, events = run(ActionAnswerFromDocument(), "greet")

    assert messages == [_response("utter_please_rephrase")]
    assert events == []


def test_a_listed_condition_is_confirmed_in_the_page_s_words():
    messages, _ = run(ActionAnswerFromDocument(), "ask_conditions",
                      slots={"condition": "osteoarthritis"})

    [message] = messages
    assert message["response"] == "utter_condition_named"
    assert message["term"] == "osteoarthritis"
    assert message["quote"].startswith("Prolotherapy, also known as regenerative injection therapy")
    assert message["source"] == ('Source: the clinic\'s Prolotherapy page, "Conditions It Treats" '
                                 '(version 1, reviewed 26 Nov 2026).')
    assert message["metadata"]["version"] == 1


def test_a_body_part_is_related_to_the_tissue_the_page_names():
    [message] = run(ActionAnswerFromDocument(), "ask_conditions", slots={"condition": "knee"})[0]

    assert message["response"] == "utter_condition_related"
    assert message["term"] == "joint"
    assert "such as a joint, tendon, or ligament" in message["quote"]


def test_an_unlisted_condition_is_said_not_to_be_mentioned_with_what_the_page_covers():
    messages, _ = run(ActionAnswerFromDocument(), "ask_conditions", slots={"condition": "migraine"})

    assert [m.get("response") for m in messages] == [
        "utter_condition_not_mentioned", None, "utter_clinic_contact"]
    assert messages[0]["condition"] == "migraine"
    # What the page says it treats, so that the patient can judge.
    assert "osteoarthritis, tendonitis, ligament injuries" in messages[1]["text"]
    assert messages[1]["metadata"]["sections"] == ["Conditions It Treats"]


def test_each_condition_a_message_names_is_answered():
    messages, _ = run(ActionAnswerFromDocument(), "ask_conditions", entities=[
        {"entity": "condition", "value": "knee", "start": 20, "end": 24},
        {"entity": "condition", "value": "sciatica", "start": 29, "end": 37},
        {"entity": "condition", "value": "cancer", "start": 42, "end": 48}],
        slots={"condition": "cancer"})

    assert [m.get("response") for m in messages] == [
        "utter_condition_related", "utter_condition_not_mentioned", None, "utter_clinic_contact"]
    assert messages[0]["condition"] == "knee"
    assert messages[1]["condition"] == "sciatica and cancer"


def test_candidacy_with_a_condition_adds_the_page_s_advice_to_consult_a_provider():
    messages, _ = run(ActionAnswerFromDocument(), "ask_candidacy", slots={"condition": "neck"})

    assert messages[0]["response"] == "utter_condition_related"
    assert "consult with a healthcare provider" in messages[1]["text"]


def test_a_remembered_condition_is_acknowledged_in_other_answers():
    messages, _ = run(ActionAnswerFromDocument(), "ask_duration", slots={"condition": "knee"})

    assert messages[0]["response"] == "utter_general_answer_for_condition"
    assert messages[0]["condition"] == "knee"
    assert "15 to 30 minutes" in messages[1]["text"]


def test_two_topics_in_one_message_get_both_answers():
    messages, events = run(ActionAnswerFromDocument(), "ask_duration", entities=[
        {"entity": "also_asked", "value": "ask_side_effects", "start": 25, "end": 37}])

    assert "15 to 30 minutes" in messages[0]["text"]
    assert "minimal discomfort and downtime" in messages[1]["text"]
    assert messages[2]["response"] == "utter_side_effects_not_listed"
    assert events == [SlotSet("last_topic", "ask_side_effects")]


def test_tell_me_more_expands_on_the_last_topic():
    messages, events = run(ActionAnswerFromDocument(), "ask_more",
                           slots={"last_topic": "ask_duration"})

    [message] = messages
    assert "the number of sessions received" in message["text"]
    assert message["metadata"]["topic"] == "ask_duration"
    assert events == []


def test_why_after_side_effects_quotes_the_reason_from_the_page():
    [message] = run(ActionAnswerFromDocument(), "ask_why",
                    slots={"last_topic": "ask_side_effects"})[0]

    assert "irritates the tissue, leading to inflammation" in message["text"]


def test_tell_me_more_without_a_topic_asks_which_topic_with_buttons():
    [message] = run(ActionAnswerFromDocument(), "ask_more")[0]

    assert message["response"] == "utter_ask_which_topic"
    assert {"title": "How long it takes", "payload": "/ask_duration"} in message["buttons"]
    assert len(message["buttons"]) == 9


def test_unclear_message_offers_the_two_likely_topics_and_something_else():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "ask_duration", "confidence": 0.41},
        {"name": "greet", "confidence": 0.3},
        {"name": "ask_side_effects", "confidence": 0.2},
        {"name": "ask_results", "confidence": 0.1},
    ]
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionOfferLikelyTopics().run(
        dispatcher, tracker("nlu_fallback", ranking=ranking), DOMAIN))

    [message] = dispatcher.messages
    assert message["response"] == "utter_offer_likely_topics"
    assert message["buttons"] == [
        {"title": "How long it takes", "payload": "/ask_duration"},
        {"title": "Discomfort and downtime", "payload": "/ask_side_effects"},
        {"title": "Something else", "payload": "/out_of_scope"},
    ]


def test_contact_details_come_from_the_clinic_settings():
    dispatcher = CollectingDispatcher()
    utter_clinic_contact(dispatcher)

    [message] = dispatcher.messages
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
