"""The texts of the assistant's own responses, from the domain files it ships
with (domain/), for the replies the actions pass into a chat themselves. Never
from the domain in the action call: its sender writes that one."""
from functools import lru_cache
from typing import Any, Dict, List

import yaml

from clinic.settings import PROJECT_ROOT

DOMAIN_DIR = PROJECT_ROOT / "domain"


@lru_cache(maxsize=1)
def _responses() -> Dict[str, List[Dict[str, Any]]]:
    """Read once: a changed text needs a new model, and the servers restarted."""
    responses: Dict[str, List[Dict[str, Any]]] = {}
    for path in sorted(DOMAIN_DIR.rglob("*")):
        if path.suffix in (".yml", ".yaml"):
            responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {})
                             .get("responses") or {})
    return responses


def response_text(name: str, **values: Any) -> str:
    """The text of a response that has one variant, its {placeholders} filled
    in from `values` (the emergency number: clinic/emergency.py)."""
    [variant] = _responses()[name]
    text = variant["text"]
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text
