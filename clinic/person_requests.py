"""Requests for a person: a deterministic check on top of the intent classifier.

A patient who asks for a person must get one, however the request is worded or
buried ("real human pls, this is about a billing mistake"). The patterns live in
content/person_requests.yml. `PersonRequestClassifier` runs after the classifiers
and before the red flags (config.yml): a message matching an `asks` pattern
becomes request_human with full confidence, unless it matches an `unless`
pattern (it cancels or declines a request) or the classifier chose
cancel_staff_request or bot_challenge. An emergency still wins: RedFlagClassifier runs after it.
"""
import re
from pathlib import Path
from typing import Any, Dict, List, Pattern, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.training_data.message import Message

from clinic import settings

REQUEST_INTENT = "request_human"
# Intents a message matching a pattern keeps: it cancels a request, or asks
# whether the assistant is a person ("am I talking to a real nurse?").
KEPT_INTENTS = ("request_human", "cancel_staff_request", "bot_challenge")


class PersonRequests:
    def __init__(self, asks: List[Pattern[str]], unless: List[Pattern[str]]) -> None:
        self.asks = asks
        self.unless = unless

    @classmethod
    def load(cls, path: Path) -> "PersonRequests":
        with path.open(encoding="utf-8") as file:
            raw: Dict[str, List[str]] = yaml.safe_load(file)
        compiled = {key: [re.compile(p, re.IGNORECASE) for p in raw.get(key) or []]
                    for key in ("asks", "unless")}
        return cls(compiled["asks"], compiled["unless"])

    def asked(self, text: str) -> bool:
        """Whether the text asks for a person (and doesn't cancel or decline one)."""
        text = " ".join(text.split())
        return any(p.search(text) for p in self.asks) and \
            not any(p.search(text) for p in self.unless)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PersonRequestClassifier(GraphComponent, IntentClassifier):
    """Sets request_human on any message that asks for a person."""

    def __init__(self, requests: PersonRequests) -> None:
        self.requests = requests

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext,
               ) -> "PersonRequestClassifier":
        return cls(PersonRequests.load(settings.person_requests_file()))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            chosen = (message.get("intent") or {}).get("name")
            if chosen in KEPT_INTENTS or \
                    not self.requests.asked(message.get("text") or ""):
                continue
            ranking = [i for i in message.get("intent_ranking") or []
                       if i["name"] != REQUEST_INTENT]
            intent = {"name": REQUEST_INTENT, "confidence": 1.0}
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", [intent] + ranking, add_to_output=True)
        return messages
