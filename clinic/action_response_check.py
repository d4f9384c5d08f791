"""Rasa checks every action server response against its schema with
`jsonschema.validate`, which first checks the schema itself against the JSON
Schema meta-schema, on every call: ~17 ms of the Rasa server's CPU per action
call (jsonschema 4.17, the newest Rasa 3.6 allows), and a patient message makes
two calls — half of the Rasa server's CPU per reply (profiled with py-spy).
`install()` makes Rasa check responses against the same schema with a validator
built once: same result; a malformed response is handed to Rasa's own check,
for Rasa's own error."""
from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import validators
from rasa.core.actions.action import RemoteAction

_rasas_check = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if not _validator().is_valid(result):
        return _rasas_check(self, result)  # raises Rasa's ValidationError
    return True


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
