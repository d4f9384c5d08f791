"""A conversation kept everywhere the clinic keeps one, for the retention and
patient-data tests: Rasa's events (saved by Rasa's own SQL tracker store),
the conversation index, a handoff request, a callback request and an
annotation of its first patient's message."""
from datetime import datetime
from typing import Callable

from rasa.shared.core.events import Event
from sqlalchemy import func, select

from clinic.annotations import Annotations
from clinic.conversation_index import RASA_EVENTS, ConversationIndex
from clinic.database import Database, utc_now
from clinic.handoff_store import HandoffStore
from clinic.staff import Staff
from tests.rasa_events import RasaEvents

EDITOR = Staff(id=1, username="eve", display_name="Editor Eve", role="editor")
SUMMARY = {"last_messages": [], "topics": []}
CALLBACK_CONTACT = "+15550142"


def keep_everywhere(database_url: str, database: Database, sender_id: str, *events: Event,
                    annotated: Callable[[], datetime] = utc_now) -> None:
    rasa = RasaEvents(database_url)
    rasa.save(sender_id, *events)
    rasa.close()
    ConversationIndex(database).index_new_events()
    handoffs = HandoffStore(database)
    handoffs.request_handoff(sender_id, "patient asked for a person", False, SUMMARY)
    handoffs.add_callback(sender_id, "Pat Example", CALLBACK_CONTACT, "mornings", True)
    with database.session() as session:
        event_id = session.scalar(select(func.min(RASA_EVENTS.c.id)).where(
            RASA_EVENTS.c.sender_id == sender_id, RASA_EVENTS.c.type_name == "user"))
    Annotations(database, clock=annotated).annotate(EDITOR, sender_id, event_id, "ask_cost", None)
