"""Answers to treatment questions, quoted from the clinic's documents."""
import json
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.contact import utter_clinic_contact
from actions.tracker_intents import latest_intent
from clinic import settings
from clinic.answers import Answer, Topic, answer, answered_from_pages, load_topics
from clinic.conditions import NAMED, NOT_MENTIONED, coverage, load_condition_terms
from clinic.documents import TREATMENT_ENTITY, TreatmentDocument, load_documents
from clinic.message_parts import ALSO_ASKED

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


def chosen_document(tracker: Tracker,
                    documents: Dict[str, TreatmentDocument]) -> Optional[TreatmentDocument]:
    """The page the question is about: the only one, or the treatment the patient
    named or picked (slot `treatment`); None when several exist and none was named."""
    if len(documents) == 1:
        return next(iter(documents.values()))
    named = tracker.get_slot(TREATMENT_ENTITY)
    return documents.get(named.lower()) if named else None


def ask_which_treatment(dispatcher: CollectingDispatcher, intent: str,
                        documents: Dict[str, TreatmentDocument]) -> None:
    """Buttons that ask the same question again, naming each treatment."""
    dispatcher.utter_message(response="utter_ask_which_treatment", buttons=[
        {"title": document.name,
         "payload": f"/{intent}{json.dumps({TREATMENT_ENTITY: key})}"}
        for key, document in sorted(documents.items())
    ])


def spoken_list(items: List[str]) -> str:
    """'knee', 'knee and hip', 'knee, hip and neck'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def conditions_asked_about(tracker: Tracker) -> List[str]:
    """The conditions the patient's message names, else the one remembered."""
    named = [v for v in dict.fromkeys(tracker.get_latest_entity_values("condition"))
             if isinstance(v, str)]
    remembered: Optional[str] = tracker.get_slot("condition")
    return named or ([remembered] if remembered else [])


def utter_condition_coverage(dispatcher: CollectingDispatcher, document: TreatmentDocument,
                             conditions: List[str], what_it_treats: Topic) -> None:
    """Say whether the page covers each condition, in the page's words. For those it
    doesn't mention, quote what it does say it treats, so the patient can judge, and
    offer the clinic's staff."""
    terms = load_condition_terms(settings.conditions_file())
    missing = []
    for condition in conditions:
        found = coverage(document, condition, terms)
        if found.kind == NOT_MENTIONED:
            missing.append(condition)
            continue
        heading, sentence = found.quote
        quoted = Answer.quoting(document, ((heading, sentence),))
        dispatcher.utter_message(
            response="utter_condition_named" if found.kind == NAMED else "utter_condition_related",
            condition=condition, term=found.term, quote=sentence, source=quoted.source,
            treatment=document.name,
            metadata={**quoted.metadata, "topic": "ask_conditions", "condition": condition},
        )
    if missing:
        dispatcher.utter_message(response="utter_condition_not_mentioned",
                                 condition=spoken_list(missing), treatment=document.name)
        utter_quote(dispatcher, answer(document, what_it_treats.answer), "ask_conditions")
        utter_clinic_contact(dispatcher)


class ActionAnswerFromDocument(Action):
    """Quote the document sections that answer the patient's question.

    Handles one topic, two topics asked at once (the intent and an `also_asked`
    entity naming the second, clinic/intent_classifier.py), and follow-ups on the
    last topic ("tell me more", "why?"). With several
    treatment pages, the page is the treatment the patient named; when none was
    named, the assistant asks which, with a button per treatment. Documents are
    read on every call (a few kilobytes), so an edited or added page is answered
    from at once, without restarting the action server.
    """

    def name(self) -> Text:
        return "action_answer_from_document"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = latest_intent(tracker) or ""
        topics = answered_from_pages(load_topics(settings.topics_file()))
        follow_up = FOLLOW_UP_INTENTS.get(intent)
        last_topic = tracker.get_slot("last_topic")
        if follow_up and last_topic not in topics:
            dispatcher.utter_message(
                response="utter_ask_which_topic",
                buttons=[{"title": t.label, "payload": f"/{n}"} for n, t in topics.items()],
            )
            return []
        asked = [last_topic] if follow_up else [
            n for n in dict.fromkeys([intent, *tracker.get_latest_entity_values(ALSO_ASKED)])
            if n in topics]
        if not asked:
            dispatcher.utter_message(response="utter_please_rephrase")
            return []

        documents = load_documents(settings.content_dir())
        document = chosen_document(tracker, documents)
        if document is None:
            ask_which_treatment(dispatcher, intent, documents)
            return []
        # With several pages, the questions that follow stay on this treatment.
        treatment = [SlotSet(TREATMENT_ENTITY, document.name.lower())] if len(documents) > 1 else []
        if follow_up:
            self.utter_topic(dispatcher, document, last_topic, topics[last_topic], follow_up)
            return treatment

        conditions = conditions_asked_about(tracker)
        said_general = False
        for name in asked:
            if conditions and name in CONDITION_TOPICS:
                utter_condition_coverage(dispatcher, document, conditions,
                                         topics["ask_conditions"])
                if name == "ask_conditions":
                    continue
            elif conditions and not said_general:
                dispatcher.utter_message(response="utter_general_answer_for_condition",
                                         condition=spoken_list(conditions))
                said_general = True
            self.utter_topic(dispatcher, document, name, topics[name])
        return [*treatment, SlotSet("last_topic", asked[-1])]

    @staticmethod
    def utter_topic(dispatcher: CollectingDispatcher, document: TreatmentDocument,
                    name: str, topic: Topic, follow_up: Optional[str] = None) -> None:
        utter_quote(dispatcher, answer(document, topic.parts(follow_up)), name)
        if topic.then and follow_up is None:
            dispatcher.utter_message(response=topic.then)
