"""Answers to treatment questions, quoted from the clinic's documents."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from clinic import settings
from clinic.answers import answer, load_topics
from clinic.documents import load_documents

# The treatment answered while the clinic has published only this one.
DEFAULT_TREATMENT = "prolotherapy"


class ActionAnswerFromDocument(Action):
    """Quote the document sections that answer the patient's question topic.

    Documents are read on every call (a few kilobytes), so an edited page is
    answered from at once, without restarting the action server.
    """

    def name(self) -> Text:
        return "action_answer_from_document"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        topic = (tracker.latest_message.get("intent") or {}).get("name")
        topics = load_topics(settings.topics_file())
        if topic not in topics:
            dispatcher.utter_message(response="utter_please_rephrase")
            return []
        document = load_documents(settings.content_dir())[DEFAULT_TREATMENT]
        quoted = answer(document, topics[topic])
        dispatcher.utter_message(
            text=quoted.text,
            # Machine-readable provenance for the chat widget and the staff console.
            metadata={"treatment": quoted.treatment, "sections": quoted.sections},
        )
        return []
