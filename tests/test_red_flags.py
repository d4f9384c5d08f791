"""The deterministic emergency check (content/red_flags.yml)."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from clinic import settings
from clinic.red_flags import EMERGENCY_INTENT, RedFlagClassifier, RedFlags
from clinic.training_data_check import HELDOUT_DIR, load_examples

RED_FLAGS = RedFlags.load(settings.red_flags_file())


@pytest.mark.parametrize("message", [
    "i think im having a heart attack",
    "my chest hurts and my arm is tingling",
    "cant breathe properly since the injection",
    "my lips and tongue are swelling up",
    "since the shot in my knee its red and hot and i have a fever of 39",
    "my face is drooping on one side",
    "i want to end my life",
    "she fainted and won't wake up",
    "the injection site won't stop bleeding",
    "EMERGENCY",
    "im so shortnes of breth since lunch",
    "feels like my throat is getting tight",
    "my tonge is swolen",
    "out of nowhere this evening i suddenly went all weak down one side",
    "no appetite and a fever, and the knee is hot and swollen",
])
def test_red_flags_are_caught_whatever_the_wording(message):
    assert RED_FLAGS.find(message) is not None


@pytest.mark.parametrize("message", [
    "does it hurt",
    "can the injection site get red or swollen afterwards?",
    "could I get a fever from it",
    "I almost fainted at my last blood test, will the needles be bad?",
    "is there any chance of fitting me in next week",
    "can it help my chronic back pain",
    "I need an urgent appointment",
    "my knee is really swollen and stiff since the shot, is that normal? no fever just sore",
    "without fever, is it ok that the spot is red and swollen",
])
def test_ordinary_questions_are_not_emergencies(message):
    assert RED_FLAGS.find(message) is None


def heldout_messages():
    return load_examples(HELDOUT_DIR)


def test_every_emergency_in_the_heldout_sets_is_a_red_flag():
    """No emergency phrasing the classifier has never seen may depend on it."""
    missed = [text for intent, text in heldout_messages()
              if intent == EMERGENCY_INTENT and RED_FLAGS.find(text) is None]
    assert missed == []


def test_no_other_heldout_message_is_taken_for_an_emergency():
    flagged = [(intent, text) for intent, text in heldout_messages()
               if intent != EMERGENCY_INTENT and RED_FLAGS.find(text) is not None]
    assert flagged == []


def classified(text, intent, ranking):
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": ranking[0][1]})
    message.set("intent_ranking", [{"name": name, "confidence": confidence}
                                   for name, confidence in ranking])
    return RedFlagClassifier(RED_FLAGS).process([message])[0].get("intent")["name"]


def test_an_unsure_guess_of_emergency_is_still_an_emergency():
    assert classified("i feel really weird after the shot", "nlu_fallback", [
        ("nlu_fallback", 0.5), (EMERGENCY_INTENT, 0.15), ("ask_side_effects", 0.14)],
    ) == EMERGENCY_INTENT


def test_an_emergency_found_at_all_likely_wins_over_a_surer_topic():
    assert classified("my leg feels strange and heavy since this morning", "ask_side_effects", [
        ("ask_side_effects", 0.7), (EMERGENCY_INTENT, 0.2), ("ask_results", 0.1)],
    ) == EMERGENCY_INTENT


def test_an_unlikely_emergency_leaves_the_topic():
    assert classified("is it normal to feel a bit sore", "ask_side_effects", [
        ("ask_side_effects", 0.8), (EMERGENCY_INTENT, 0.19), ("ask_results", 0.01)],
    ) == "ask_side_effects"


def test_an_unsure_guess_of_another_topic_stays_not_understood():
    assert classified("something odd", "nlu_fallback", [
        ("nlu_fallback", 0.5), ("ask_side_effects", 0.3), (EMERGENCY_INTENT, 0.1)],
    ) == "nlu_fallback"
