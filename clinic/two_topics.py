"""Two topics need two questions: a check on the classifier's two-topic intents.

The classifier learns two-topic intents such as ask_duration+ask_results from
messages that ask two things ("how long is it and does it work?"). It also
picks them, wrongly, for short one-part questions that touch both topics
("how long before it starts working?"). `TwoTopicCheck` runs after the
classifier (config.yml): a two-topic intent stands only when the message has at
least two parts (split at question marks, full stops, commas, "and", "or",
"also", ...). Otherwise the message gets whichever of the two topics the
classifier ranked higher, with the confidence of both together (the chance
that the patient asked about that topic at all).
"""
import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.training_data.message import Message

SEPARATOR = "+"  # config.yml: intent_split_symbol
PART_BOUNDARY = re.compile(r"[?.,;!&]|\b(?:and|or|also|plus|then|n)\b", re.IGNORECASE)
MIN_WORDS_PER_PART = 2


def parts(text: str) -> int:
    """How many parts of at least two words the message has."""
    return sum(len(part.split()) >= MIN_WORDS_PER_PART for part in PART_BOUNDARY.split(text))


def one_topic_instead(intent: Dict[Text, Any], ranking: List[Dict[Text, Any]]) -> Dict[Text, Any]:
    topics = intent["name"].split(SEPARATOR)
    confidence = {i["name"]: i["confidence"] for i in ranking}
    best = max(topics, key=lambda topic: confidence.get(topic, 0.0))
    return {"name": best, "confidence": min(1.0, intent["confidence"] + confidence.get(best, 0.0))}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TwoTopicCheck(GraphComponent, IntentClassifier):
    """Turns a two-topic intent into one topic when the message asks one thing."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> "TwoTopicCheck":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get("intent") or {}
            if SEPARATOR not in (intent.get("name") or "") or parts(message.get("text") or "") >= 2:
                continue
            ranking = message.get("intent_ranking") or []
            single = one_topic_instead(intent, ranking)
            rest = [i for i in ranking if i["name"] not in (single["name"], intent["name"])]
            message.set("intent", single, add_to_output=True)
            message.set("intent_ranking", [single] + rest, add_to_output=True)
        return messages
