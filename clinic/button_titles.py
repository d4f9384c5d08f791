"""A patient's button clicks, as staff read them.

When a patient clicks a button, Rasa stores the button's payload (e.g.
"/ask_duration") as the patient's text. Staff read the button's title instead
("How long it takes"): the title of the button with that payload in the latest
bot message before the click that offered one. That is the rule the chat
widget follows when it shows a conversation's history (fromHistory in
widget/src/messages.js), so staff and patient see the same words.
"""
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional, Tuple


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


# The widget's own "Talk to staff" button, which no bot message offers:
# TALK_TO_STAFF in widget/src/messages.js (tests/test_button_titles.py checks
# that the two say the same).
TALK_TO_STAFF = Button("I'd like to talk to a person", "/request_human")


def buttons_of(data: Any) -> Tuple[Button, ...]:
    """The buttons of a bot event's `data` (Rasa's BotUttered.data), those
    with a title and a payload."""
    listed = data.get("buttons") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        return ()
    return tuple(Button(button["title"], button["payload"]) for button in listed
                 if isinstance(button, dict) and _is_text(button.get("title"))
                 and _is_text(button.get("payload")))


class ButtonTitles:
    """The buttons offered so far in one conversation, by payload."""

    def __init__(self, offered: Iterable[Button] = ()) -> None:
        self._titles: Dict[str, str] = {TALK_TO_STAFF.payload: TALK_TO_STAFF.title}
        self.offer(offered)

    def offer(self, buttons: Iterable[Button]) -> None:
        """A bot message's buttons: a later offer of a payload wins."""
        self._titles.update((button.payload, button.title) for button in buttons)

    def title_of(self, text: str) -> Optional[str]:
        """The title of the button whose payload the patient's text is, if any."""
        return self._titles.get(text)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)
