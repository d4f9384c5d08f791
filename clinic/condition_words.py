"""A condition is a word: never punctuation or a stop word.

The entity extractor learns conditions from examples and can still tag a
bracket, a slash or "my" as one ("TMJ / jaw pain" answered "doesn't mention /").
`ConditionWordsCheck` runs after it and drops such `condition` entities, so the
answer never quotes one to the patient.
"""
import re
from typing import Any, Dict, List, Text

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE
from rasa.shared.nlu.training_data.message import Message

CONDITION = "condition"
LETTER = re.compile(r"[^\W\d_]")
# scikit-learn's English stop words but "back", which patients name as a body part.
STOP_WORDS = ENGLISH_STOP_WORDS - {"back"}


def is_condition_word(value: Any) -> bool:
    """Whether a condition's text has a letter and is more than a stop word."""
    text = str(value).strip().lower()
    return bool(LETTER.search(text)) and text not in STOP_WORDS


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ConditionWordsCheck(GraphComponent):
    """Drops `condition` entities that are punctuation or a stop word."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext,
               ) -> "ConditionWordsCheck":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = message.get(ENTITIES) or []
            kept = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) != CONDITION
                    or is_condition_word(e.get(ENTITY_ATTRIBUTE_VALUE))]
            if len(kept) != len(entities):
                message.set(ENTITIES, kept, add_to_output=True)
        return messages
