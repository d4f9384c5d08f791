"""The assistant's own responses, from the domain files it ships with
(domain/), for the replies the actions pass into a chat themselves. Never from
the domain in the action call: its sender writes that one."""
import re
from functools import lru_cache
from typing import Any, Dict, List

from clinic.domain_responses import domain_responses
from clinic.settings import domain_dir

PLACEHOLDER = re.compile(r"{(\w+)}")


@lru_cache(maxsize=1)
def _responses() -> Dict[str, List[Dict[str, Any]]]:
    """Read once: a changed text needs a new model, and the servers restarted."""
    return domain_responses(domain_dir())


def _variant(name: str) -> Dict[str, Any]:
    [variant] = _responses()[name]
    return variant


def response_text(name: str) -> str:
    """The text of a response that has one variant."""
    return _variant(name)["text"]


def bot_event(name: str, **values: Any) -> Dict[str, Any]:
    """A response that has one variant as a `bot` event for Rasa's HTTP API: its
    text with `values` filled in, its buttons and its metadata, marked as the
    assistant's."""
    variant = _variant(name)
    # As Rasa fills a response: {name} placeholders, others left as they are.
    text = PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), variant["text"])
    event: Dict[str, Any] = {
        "event": "bot", "text": text,
        "metadata": {**(variant.get("metadata") or {}), "from": "assistant", "utter_action": name}}
    if variant.get("buttons"):
        event["data"] = {"buttons": variant["buttons"]}
    return event
