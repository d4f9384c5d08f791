"""What the assistant tells patients to say works when they say it.

A message such as the waiting message ('To go back to the automated assistant,
say "never mind".') suggests phrases: the ones in double quotes, and the titles
of its buttons. `SuggestedPhraseClassifier` reads them from the domain's
responses named in its `responses` option (config.yml), each with the intent
its phrases mean, and gives a message that is one of them that intent with full
confidence, whatever the language model made of so short a message. Case,
punctuation and spacing don't count ("Nevermind!" is "never mind"), nor do a
few words of politeness around it ("ok never mind, thanks"). A reworded message
changes the phrases with it. Any other message is left to the classifiers,
which learn the intent's other wordings from the NLU data.

It runs before RedFlagClassifier (config.yml): emergencies still win.
"""
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.training_data.message import Message

from clinic import settings
from clinic.domain_responses import domain_responses, phrase_key, suggested_phrases


def phrase_intents(responses: Dict[str, List[Dict[str, Any]]],
                   intents_by_response: Dict[str, str]) -> Dict[str, str]:
    """Each suggested phrase (as compared) -> the intent it means."""
    phrases: Dict[str, str] = {}
    for name, intent in intents_by_response.items():
        if name not in responses:
            raise ValueError(f"SuggestedPhraseClassifier: no response {name} in the domain")
        for variant in responses[name]:
            for phrase in suggested_phrases(variant):
                if phrase_key(phrase):
                    phrases[phrase_key(phrase)] = intent
    return phrases


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SuggestedPhraseClassifier(GraphComponent, IntentClassifier):
    """Sets the intent a suggested phrase means on a message that is that phrase."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"responses": {}}  # response name -> the intent its suggested phrases mean

    def __init__(self, phrases: Dict[str, str]) -> None:
        self.phrases = phrases

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext,
               ) -> "SuggestedPhraseClassifier":
        return cls(phrase_intents(domain_responses(settings.domain_dir()), config["responses"]))

    def intent_of(self, text: str) -> Optional[str]:
        return self.phrases.get(phrase_key(text))

    def process(self, messages: Iterable[Message]) -> List[Message]:
        messages = list(messages)
        for message in messages:
            intent_name = self.intent_of(message.get("text") or "")
            if intent_name is None:
                continue
            ranking = [i for i in message.get("intent_ranking") or [] if i["name"] != intent_name]
            intent = {"name": intent_name, "confidence": 1.0}
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", [intent] + ranking, add_to_output=True)
        return messages
