"""Rasa's event lookup by name, from a table built once (clinic/event_types.py):
every event Rasa knows resolves to the class Rasa's own walk finds, and a
stored conversation reads back the same."""
import pytest
from rasa.shared.core.events import (ActionExecuted, BotUttered, Event, SessionStarted,
                                     SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.utils.common import all_subclasses

from clinic import event_types

event_types.install()
rasas_lookup = event_types._rasas_resolve_by_type


@pytest.mark.parametrize("name", sorted({cls.type_name for cls in all_subclasses(Event)}))
def test_every_event_name_resolves_to_the_class_rasa_finds(name: str) -> None:
    assert Event.resolve_by_type(name) is rasas_lookup(name)


def test_unknown_names_behave_as_in_rasa() -> None:
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None  # old TopicSet events are skipped


def test_an_event_class_defined_later_is_found() -> None:
    event_types._classes_by_name()  # the table exists before the class does

    class ClinicTestEvent(SlotSet):
        type_name = "clinic_test_event"

    assert Event.resolve_by_type("clinic_test_event") is ClinicTestEvent


def test_a_stored_conversation_reads_back_the_same() -> None:
    events = [SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("Does prolotherapy hurt?", {"name": "ask_side_effects",
                                                       "confidence": 0.93}),
              ActionExecuted("action_answer_from_document"),
              SlotSet("last_topic", "ask_side_effects"),
              BotUttered("The clinic's page says ...", {"topic": "ask_side_effects"}),
              ActionExecuted("action_listen")]
    stored = DialogueStateTracker.from_events("patient", events).current_state(
        EventVerbosity.ALL)
    read = DialogueStateTracker.from_dict("patient", stored["events"])
    assert Event.resolve_by_type is event_types.resolve_by_type  # what Rasa used here
    assert list(read.events) == events
