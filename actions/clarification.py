"""Clarification when the assistant isn't sure what the patient meant.

Rasa's two-stage fallback (rule on nlu_fallback) first calls
action_default_ask_affirmation; this replaces Rasa's default with buttons for
the two most likely topics and "Something else". "Something else" counts as a
denial (out_of_scope): the assistant then asks the patient to rephrase, and a
second failure in a row ends in action_default_fallback, which offers staff.
"""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from clinic import settings
from clinic.answers import load_topics

LIKELY_TOPICS_OFFERED = 2


class ActionOfferLikelyTopics(Action):
    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        topics = load_topics(settings.topics_file())
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = [intent["name"] for intent in ranking if intent["name"] in topics]
        buttons = [
            {"title": topics[name].label, "payload": f"/{name}"}
            for name in likely[:LIKELY_TOPICS_OFFERED]
        ]
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        dispatcher.utter_message(response="utter_offer_likely_topics", buttons=buttons)
        return []
