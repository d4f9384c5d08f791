"""The deterministic check for requests for a person (content/person_requests.yml)."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from clinic import settings
from clinic.person_requests import PersonRequestClassifier, PersonRequests
from clinic.training_data_check import HELDOUT_DIR, NLU_DIR, load_examples

REQUESTS = PersonRequests.load(settings.person_requests_file())


@pytest.mark.parametrize("message", [
    "can i speak to a real person about my shoulder, the answers dont fit my case",
    "HUMAN PLEASE",
    "id rather ask the nurse myself how my wrist should feel 2 days after",
    "please put me through to reception",
    "could a nurse call me back this afternoon",
    "talk to someone from the team",
])
def test_a_request_for_a_person_is_caught_however_it_is_worded(message):
    assert REQUESTS.asked(message)


@pytest.mark.parametrize("message", [
    "never mind, i don't need to talk to a nurse anymore",
    "please cancel, no need for the doctor to call me",
    "should I speak with my own doctor before booking?",
    "does the doctor do the injection himself",
    "how long does it take",
])
def test_cancellations_and_other_questions_are_not_requests(message):
    assert not REQUESTS.asked(message)


def classified(text, intent, confidence=0.9):
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    return PersonRequestClassifier(REQUESTS).process([message])[0]


def test_a_request_taken_for_another_topic_becomes_a_request_for_a_person():
    message = classified("real human pls, its about a bill and my back injection", "ask_cost")
    assert message.get("intent") == {"name": "request_human", "confidence": 1.0}
    assert [i["name"] for i in message.get("intent_ranking")] == ["request_human", "ask_cost"]


@pytest.mark.parametrize("intent", ["cancel_staff_request", "bot_challenge"])
def test_a_cancellation_or_a_question_about_the_bot_keeps_its_intent(intent):
    message = classified("am I talking to a real person", intent)
    assert message.get("intent")["name"] == intent


def test_no_training_or_heldout_message_of_another_intent_is_taken_for_a_request():
    examples = [*load_examples(NLU_DIR), *load_examples(HELDOUT_DIR)]
    taken = [(intent, text) for intent, text in examples
             if intent not in ("request_human", "bot_challenge") and REQUESTS.asked(text)]
    assert taken == []
