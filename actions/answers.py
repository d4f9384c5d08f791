"""Answers to treatment questions, quoted from the clinic's documents."""
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.contact import utter_clinic_contact
from actions.tracker_intents import latest_intent
from clinic import settings
from clinic.answers import Answer, Topic, answer, answered_from_pages, load_topics
from clinic.conditions import NAMED, NOT_MENTIONED, coverage, load_condition_terms
from clinic.documents import TreatmentDocument, load_documents

# The treatment answered while the clinic has published only this one.
DEFAULT_TREATMENT = "prolotherapy"
# Intents that ask about the last topic instead of naming one.
FOLLOW_UP_INTENTS = {"ask_more": "more", "ask_why": "why"}
# Topics where a named condition changes the answer (does the page cover it?).
CONDITION_TOPICS = ("ask_conditions", "ask_candidacy")


def utter_quote(dispatcher: CollectingDispatcher, quoted: Answer, topic: str) -> None:
    dispatcher.utter_message(
        text=quoted.text,
        # Machine-readable provenance for the chat widget and the staff console.
        metadata={**quoted.metadata, "topic": topic},
    )


def utter_condition_coverage(
    dispatcher: CollectingDispatcher, document: TreatmentDocument, condition: str
) -> None:
    """Say whether the page covers the patient's condition, in the page's words."""
    found = coverage(document, condition, load_condition_terms(settings.conditions_file()))
    if found.kind == NOT_MENTIONED:
        dispatcher.utter_message(response="utter_condition_not_mentioned",
                                 condition=condition, treatment=document.name)
        utter_clinic_contact(dispatcher)
        return
    heading, sentence = found.quote
    quoted = Answer.quoting(document, ((heading, sentence),))
    dispatcher.utter_message(
        response="utter_condition_named" if found.kind == NAMED else "utter_condition_related",
        condition=condition, term=found.term, quote=sentence, source=quoted.source,
        treatment=document.name,
        metadata={**quoted.metadata, "topic": "ask_conditions", "condition": condition},
    )


class ActionAnswerFromDocument(Action):
    """Quote the document sections that answer the patient's question.

    Handles one topic, two topics asked at once ("ask_duration+ask_side_effects"),
    and follow-ups on the last topic ("tell me more", "why?"). Documents are
    read on every call (a few kilobytes), so an edited page is answered from at
    once, without restarting the action server.
    """

    def name(self) -> Text:
        return "action_answer_from_document"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = latest_intent(tracker) or ""
        topics = answered_from_pages(load_topics(settings.topics_file()))
        document = load_documents(settings.content_dir())[DEFAULT_TREATMENT]

        if intent in FOLLOW_UP_INTENTS:
            return self.follow_up(dispatcher, tracker, topics, document,
                                  FOLLOW_UP_INTENTS[intent])

        asked = [name for name in intent.split("+") if name in topics]
        if not asked:
            dispatcher.utter_message(response="utter_please_rephrase")
            return []
        condition: Optional[str] = tracker.get_slot("condition")
        said_general = False
        for name in asked:
            if condition and name in CONDITION_TOPICS:
                utter_condition_coverage(dispatcher, document, condition)
                if name == "ask_conditions":
                    continue
            elif condition and not said_general:
                dispatcher.utter_message(response="utter_general_answer_for_condition",
                                         condition=condition)
                said_general = True
            self.utter_topic(dispatcher, document, name, topics[name])
        return [SlotSet("last_topic", asked[-1])]

    @staticmethod
    def utter_topic(dispatcher: CollectingDispatcher, document: TreatmentDocument,
                    name: str, topic: Topic, follow_up: Optional[str] = None) -> None:
        utter_quote(dispatcher, answer(document, topic.parts(follow_up)), name)
        if topic.then and follow_up is None:
            dispatcher.utter_message(response=topic.then)

    def follow_up(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  topics: Dict[str, Topic], document: TreatmentDocument,
                  follow_up: str) -> List[Dict[Text, Any]]:
        last_topic = tracker.get_slot("last_topic")
        if last_topic not in topics:
            dispatcher.utter_message(
                response="utter_ask_which_topic",
                buttons=[{"title": t.label, "payload": f"/{n}"} for n, t in topics.items()],
            )
            return []
        self.utter_topic(dispatcher, document, last_topic, topics[last_topic], follow_up)
        return []
