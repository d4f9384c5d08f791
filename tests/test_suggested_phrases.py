"""The phrases the assistant's messages suggest work as said (clinic/suggested_phrases.py)."""
import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from clinic.domain_responses import domain_responses
from clinic.settings import PROJECT_ROOT, domain_dir
from clinic.suggested_phrases import SuggestedPhraseClassifier, phrase_intents

[CONFIG] = [component for component in yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
            ["pipeline"] if component["name"].endswith("SuggestedPhraseClassifier")]
CLASSIFIER = SuggestedPhraseClassifier(phrase_intents(domain_responses(domain_dir()),
                                                      CONFIG["responses"]))


def classified(text: str, intent: str = "deny", confidence: float = 0.3) -> dict:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                            "intent_ranking": [{"name": intent, "confidence": confidence}]})
    [message] = CLASSIFIER.process([message])
    return message.get("intent")


@pytest.mark.parametrize("typed", [
    "never mind", "Never mind.", "nevermind", "NEVER MIND!!", "ok never mind, thanks",
    "Never mind, back to the assistant", "cancel", "Cancel please",
])
def test_a_suggested_phrase_however_typed_means_what_the_message_says(typed):
    assert classified(typed) == {"name": "cancel_staff_request", "confidence": 1.0}


@pytest.mark.parametrize("typed", [
    "never mind the cost, how long does it take?", "cancer", "ok", "thank you", "",
    "can I cancel my appointment next week",
])
def test_other_messages_are_left_to_the_classifiers(typed):
    assert classified(typed, "ask_duration", 0.8) == {"name": "ask_duration", "confidence": 0.8}


def test_a_response_that_is_not_in_the_domain_is_refused_at_start():
    with pytest.raises(ValueError, match="no response utter_gone"):
        phrase_intents(domain_responses(domain_dir()), {"utter_gone": "cancel_staff_request"})
