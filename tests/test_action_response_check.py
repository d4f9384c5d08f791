"""Rasa's check of action server responses, with the validator built once
(clinic/action_response_check.py): it still refuses what Rasa's refused."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from clinic import action_response_check

action_response_check.install()
ACTION = RemoteAction("action_answer_from_document", None)


def test_a_response_with_events_and_messages_passes() -> None:
    assert ACTION._validate_action_result({
        "events": [{"event": "slot", "name": "treatment", "value": "prolotherapy"}],
        "responses": [{"text": "Prolotherapy is an injection treatment.", "buttons": []}],
    })


@pytest.mark.parametrize("response", [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [{"event": "slot", "name": 3}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["not an object"]},
])
def test_a_malformed_response_is_refused_with_rasas_explanation(response: dict) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        ACTION._validate_action_result(response)
