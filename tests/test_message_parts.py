"""The questions in a message (clinic/message_parts.py)."""
import pytest

from clinic.message_parts import parts


@pytest.mark.parametrize("text, expected", [
    ("how long before the sugar shots start working", ["how long before the sugar shots start working"]),
    ("how long does it take and does it hurt?", ["how long does it take", "does it hurt"]),
    ("Is the procedure painful? Also, how long does one appointment last?",
     ["Is the procedure painful", "how long does one appointment last"]),
    ("how many sessions? and does it hurt much", ["how many sessions", "does it hurt much"]),
    # A list of body parts is one question, not two.
    ("does it work for knee and shoulder pain", ["does it work for knee and shoulder pain"]),
    ("my knee hurts since 2019. physio didnt help\nwould i be a candidate",
     ["my knee hurts since 2019", "physio didnt help", "would i be a candidate"]),
    # A one-word part ("ok.") is not a question.
    ("ok. what is it", ["what is it"]),
])
def test_a_message_is_cut_where_a_new_question_starts(text, expected):
    assert [part.text for part in parts(text)] == expected


def test_each_part_knows_where_it_is_in_the_message():
    text = "how many sessions, and will it hurt?"
    assert [text[p.start:p.end] for p in parts(text)] == ["how many sessions", "will it hurt"]
