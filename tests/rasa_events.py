"""Conversations stored as Rasa stores them, without a running Rasa server:
Rasa's own event classes, saved by Rasa's own SQL tracker store into its
`events` table, for the tests and the benchmark of the conversation index."""
import asyncio
import json
import logging
import uuid
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from rasa.core.actions.action import create_bot_utterance
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, Event, SlotSet,
                                     UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.rasa_api import STAFF

logging.getLogger("rasa.core.tracker_store").setLevel(logging.WARNING)


def patient(text: str, intent: str, confidence: float = 0.95,
            message_id: Optional[str] = None, timestamp: Optional[float] = None,
            runners_up: Sequence[str] = (), entities: Sequence[dict] = ()) -> UserUttered:
    """A patient's message, as Rasa's NLU left it: the intent, and a ranking
    with the other intents (`runners_up`) sharing what confidence is left;
    the entities it found, if any."""
    share = (1 - confidence) / len(runners_up) if runners_up else 0
    ranking = [{"name": intent, "confidence": confidence},
               *({"name": other, "confidence": share} for other in runners_up)]
    return UserUttered(text, intent={"name": intent, "confidence": confidence},
                       parse_data={"intent": {"name": intent, "confidence": confidence},
                                   "intent_ranking": ranking, "entities": list(entities),
                                   "text": text},
                       message_id=message_id or uuid.uuid4().hex, timestamp=timestamp)


def answer(text: str, sections: Sequence[str], timestamp: Optional[float] = None) -> BotUttered:
    """An answer quoted from the treatment page (actions/answers.py): its text
    ends with the source caption, which its metadata also carries."""
    source = "Source: the clinic's Prolotherapy page, " + " and ".join(
        f'"{section}"' for section in sections) + " (version 1, reviewed 26 Nov 2026)."
    return BotUttered(f"{text}\n\n{source}", data={"buttons": None}, metadata={"metadata": {
        "treatment": "Prolotherapy", "sections": list(sections), "source": source,
        "version": 1, "reviewed": "2026-11-26"}},
        timestamp=timestamp)


def response(name: str, text: str, timestamp: Optional[float] = None) -> BotUttered:
    """One of the domain's responses (utter_...)."""
    return BotUttered(text, data={}, metadata={"utter_action": name}, timestamp=timestamp)


def offer(name: str, text: str, buttons: Sequence[Tuple[str, str]],
          timestamp: Optional[float] = None) -> BotUttered:
    """A response with buttons, each (title, payload), as Rasa makes it from
    the message an action or response sends."""
    event = create_bot_utterance({
        "text": text, "buttons": [{"title": title, "payload": payload}
                                  for title, payload in buttons], "utter_action": name})
    if timestamp is not None:
        event.timestamp = timestamp
    return event


def click(payload: str, timestamp: Optional[float] = None) -> UserUttered:
    """A patient's click on a button: Rasa stores the payload as the text."""
    return patient(payload, payload.lstrip("/"), 1.0, timestamp=timestamp)


def staff_message(text: str, staff_name: str, timestamp: Optional[float] = None) -> BotUttered:
    """A staff member's message, as the web app appends it (clinic/rasa_api.py)."""
    return BotUttered(text, data={}, metadata={"from": STAFF, "staff_name": staff_name},
                      timestamp=timestamp)


def clarified(message: UserUttered) -> List[Event]:
    """What Rasa's two-stage fallback stores when the patient picks a topic:
    the message taken back and stored again, with the same message id."""
    return [UserUtteranceReverted(), ActionExecuted("action_listen"), message]


def busywork(timestamp: Optional[float] = None) -> List[Event]:
    """Events that are not messages."""
    return [ActionExecuted("action_answer_from_document", timestamp=timestamp),
            SlotSet("last_topic", "ask_duration", timestamp=timestamp),
            ActionExecuted("action_listen", timestamp=timestamp)]


class RasaEvents:
    """Rasa's SQL tracker store on a database, and the conversations saved in it."""

    def __init__(self, database_url: str) -> None:
        self.store = SQLTrackerStore(Domain.empty(), host=database_url)
        self._trackers: Dict[str, DialogueStateTracker] = {}

    def save(self, sender_id: str, *events: Event) -> None:
        """Add the events to the conversation and save it, as Rasa does after a turn."""
        tracker = self._trackers.setdefault(sender_id, DialogueStateTracker(sender_id, []))
        for event in events:
            tracker.update(event)
        asyncio.run(self.store.save(tracker))

    def save_many(self, conversations: Iterable[Tuple[str, Sequence[Event]]]) -> int:
        """Store whole conversations at once, each event as the tracker store's
        save() writes it (for the benchmark's thousands); returns the count."""
        rows = [_row(sender_id, event) for sender_id, events in conversations
                for event in events]
        with self.store.engine.begin() as connection:
            connection.execute(self.store.SQLEvent.__table__.insert(), rows)
        return len(rows)

    def close(self) -> None:
        self.store.engine.dispose()


def _row(sender_id: str, event: Event) -> Dict[str, object]:
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": event.timestamp,
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
            "action_name": data.get("name"), "data": json.dumps(data)}
