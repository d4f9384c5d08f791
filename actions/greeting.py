"""Greeting: the automated-assistant notice, shown once per conversation."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionGreetPatient(Action):
    def name(self) -> Text:
        return "action_greet_patient"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if tracker.get_slot("disclaimer_shown"):
            dispatcher.utter_message(response="utter_greet_again")
            return []
        dispatcher.utter_message(response="utter_greet_with_disclaimer")
        return [SlotSet("disclaimer_shown", True)]
