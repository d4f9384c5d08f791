"""Rasa finds the class of every event it reads by walking the whole tree of
Event subclasses (`Event.resolve_by_type` calls `all_subclasses(Event)`, which
builds that list anew each time). A conversation is read back from the tracker
store for every message, all its events, so this cost grows with the
conversation: about a twentieth of the Rasa server's CPU per reply for a
patient-length conversation (py-spy under load).

`install()` makes Rasa look the name up in a table built once, at first use,
from the same subclasses in the same order (the first class with a name wins,
as in Rasa's walk). A name the table doesn't have (an old "topic" event, an
unknown name, a class defined later) goes to Rasa's own lookup."""
from functools import lru_cache
from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_rasas_resolve_by_type = Event.resolve_by_type


@lru_cache(maxsize=1)
def _classes_by_name() -> Dict[Text, Type[Event]]:
    classes: Dict[Text, Type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def resolve_by_type(type_name: Text,
                    default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _classes_by_name().get(type_name)
    return found if found is not None else _rasas_resolve_by_type(type_name, default)


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)
