"""The intents a tracker holds, read the same way by every action."""
from typing import List, Optional

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def user_intents(tracker: Tracker) -> List[str]:
    """The intent of each patient message so far, oldest first."""
    return [e["parse_data"]["intent"]["name"] for e in tracker.events
            if e.get("event") == "user" and (e.get("parse_data") or {}).get("intent")]
