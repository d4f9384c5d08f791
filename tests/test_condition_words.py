"""A condition is a word (clinic/condition_words.py)."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from clinic.condition_words import ConditionWordsCheck


def checked(entities):
    message = Message(data={"text": "-", "entities": entities})
    return ConditionWordsCheck().process([message])[0].get("entities")


@pytest.mark.parametrize("value", [")", "/", ":", "my", "the", "it", " 2 ", ""])
def test_punctuation_stop_words_and_numbers_are_never_conditions(value):
    assert checked([{"entity": "condition", "value": value, "start": 0, "end": 1}]) == []


@pytest.mark.parametrize("value", ["back", "lower back", "TMJ", "golfer's elbow", "l5"])
def test_conditions_and_body_parts_stay(value):
    entity = {"entity": "condition", "value": value, "start": 0, "end": 1}
    assert checked([entity]) == [entity]


def test_other_entities_are_left_alone():
    entity = {"entity": "treatment", "value": "/", "start": 0, "end": 1}
    assert checked([entity]) == [entity]
