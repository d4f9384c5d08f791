"""Rasa checks each message's intent and entities against the domain, first
asking whether the domain is empty. Rasa 3.6's `Domain.is_empty` answers by
building a new empty domain and comparing the two: 0.7 ms a message, on the
server's event loop. `install()` has it compare with an empty domain built once;
the answer is the same (tests/test_empty_domain.py)."""
import functools
from typing import Any, Dict, Text

from rasa.shared.core.domain import Domain


@functools.lru_cache(maxsize=None)
def _empty_domain_data() -> Dict[Text, Any]:
    return Domain.empty().as_dict()


def is_empty(self: Domain) -> bool:
    return self.as_dict() == _empty_domain_data()


def install() -> None:
    Domain.is_empty = is_empty
