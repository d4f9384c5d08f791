"""Whether a domain is empty, answered from an empty domain built once
(clinic/empty_domain.py), as Rasa's own `Domain.is_empty` answers it."""
import pytest
from rasa.shared.core.domain import Domain

from clinic import empty_domain
from clinic.settings import PROJECT_ROOT

rasas_is_empty = Domain.is_empty
empty_domain.install()

DOMAINS = {
    "empty": Domain.empty,
    "one intent": lambda: Domain.from_dict({"intents": ["greet"]}),
    "one response": lambda: Domain.from_dict({"responses": {"utter_hi": [{"text": "Hi"}]}}),
    "the clinic's": lambda: Domain.load(PROJECT_ROOT / "domain"),
}


@pytest.mark.parametrize("name", DOMAINS)
def test_same_answer_as_rasa(name: str) -> None:
    domain = DOMAINS[name]()
    assert domain.is_empty() is rasas_is_empty(domain) is (name == "empty")
