"""Two topics need two questions: a check on the classifier's two-topic intents.

The classifier learns two-topic intents such as ask_duration+ask_results from
messages that ask two things ("how long is it and does it work?"). It also
picks them, wrongly, for short one-part questions that touch both topics
("how long before it starts working?"), or lets them take confidence from
the right topic until the message falls below the fallback threshold ("and
how long would that take?"). `TwoTopicCheck` runs after the classifier and
before the fallback (config.yml): a message of one part (split at question
marks, full stops, commas, "and", "or", "also", ...) cannot ask two things, so
each two-topic intent's confidence goes to the likelier of its two topics (it
is the classifier's belief that the patient asked about that topic), and the
message gets the topic with the most confidence.
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


def folded_into_topics(ranking: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The ranking with each two-topic intent's confidence added to its likelier topic."""
    confidence = {i["name"]: i["confidence"] for i in ranking if SEPARATOR not in i["name"]}
    for intent in ranking:
        if SEPARATOR in intent["name"]:
            topic = max(intent["name"].split(SEPARATOR), key=lambda t: confidence.get(t, 0.0))
            confidence[topic] = confidence.get(topic, 0.0) + intent["confidence"]
    return [{"name": name, "confidence": min(1.0, value)}
            for name, value in sorted(confidence.items(), key=lambda item: -item[1])]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TwoTopicCheck(GraphComponent, IntentClassifier):
    """Gives a one-part message one topic, never two."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> "TwoTopicCheck":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            ranking = message.get("intent_ranking") or []
            if parts(message.get("text") or "") >= 2 or \
                    not any(SEPARATOR in i["name"] for i in ranking):
                continue
            folded = folded_into_topics(ranking)
            message.set("intent", folded[0], add_to_output=True)
            message.set("intent_ranking", folded, add_to_output=True)
        return messages
