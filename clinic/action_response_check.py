"""Rasa checks every action server response against its schema with
`jsonschema.validate`, which first checks the schema itself against the JSON
Schema meta-schema, on every call: ~17 ms of the Rasa server's CPU per action
call (jsonschema 4.17, the newest Rasa 3.6 allows), and a patient message makes
two calls — half of the Rasa server's CPU per reply (profiled with py-spy).
`install()` makes Rasa check responses against the same schema with a validator
built once: same result, same error for a malformed response."""
from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _validator().validate(result)
    except ValidationError as error:
        error.message += (". Failed to validate Action server response from API, make sure "
                          "your response from the Action endpoint is valid. For more "
                          f"information about the format visit {DOCS_BASE_URL}/custom-actions")
        raise
    return True


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
