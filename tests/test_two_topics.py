"""Two topics need two questions (clinic/two_topics.py)."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from clinic.two_topics import TwoTopicCheck, parts


def classified(text, ranking):
    message = Message(data={"text": text})
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message.set("intent", intents[0])
    message.set("intent_ranking", intents)
    return TwoTopicCheck().process([message])[0]


@pytest.mark.parametrize("text, count", [
    ("how long before the sugar shots start working", 1),
    ("how long does it take and does it hurt?", 2),
    ("whats the process like, how long between the shots", 2),
    ("wil it fix my knee or will i need somthing else after", 2),
    ("is the effect instant", 1),
])
def test_parts_of_a_message(text, count):
    assert parts(text) == count


def test_a_one_part_question_gets_the_likelier_topic_with_both_confidences():
    message = classified("how long before the sugar shots start working", [
        ("ask_duration+ask_results", 0.5), ("ask_results", 0.3), ("ask_duration", 0.1),
        ("ask_cost", 0.1)])
    assert message.get("intent") == {"name": "ask_results", "confidence": 0.8}
    assert [i["name"] for i in message.get("intent_ranking")] == [
        "ask_results", "ask_duration", "ask_cost"]


def test_two_topic_readings_of_a_one_part_question_lift_its_topic_over_the_fallback():
    message = classified("and how long would that take?", [
        ("ask_duration", 0.45), ("ask_procedure+ask_duration", 0.3),
        ("ask_duration+ask_results", 0.15), ("ask_procedure", 0.1)])
    assert message.get("intent")["name"] == "ask_duration"
    assert message.get("intent")["confidence"] == pytest.approx(0.9)


def test_a_two_part_question_keeps_both_topics():
    message = classified("how long does it take and does it hurt?", [
        ("ask_duration+ask_side_effects", 0.7), ("ask_duration", 0.2)])
    assert message.get("intent")["name"] == "ask_duration+ask_side_effects"


def test_a_ranking_without_two_topic_intents_is_left_alone():
    message = classified("does it hurt", [("ask_side_effects", 0.9), ("ask_duration", 0.1)])
    assert message.get("intent") == {"name": "ask_side_effects", "confidence": 0.9}
