"""The deterministic emergency check (content/red_flags.yml)."""
import pytest

from clinic import settings
from clinic.red_flags import RedFlags

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
])
def test_ordinary_questions_are_not_emergencies(message):
    assert RED_FLAGS.find(message) is None
