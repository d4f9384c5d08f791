"""What a conversation's transcript shows of annotations (clinic/annotations.py):
for editors and admins, each patient's message's annotations and a form to
annotate it (templates/staff/annotation_macros.html, posted to
console_annotations.py); for the staff role, nothing."""
from typing import Optional

from fastapi import Request

from clinic.annotations import MAX_NOTE_LENGTH, NEW_TOPIC, intent_choices
from clinic.staff_sessions import LoggedIn

ANNOTATE_ROLE = "editor"


def annotation_panel(request: Request, login: LoggedIn, sender_id: str) -> Optional[dict]:
    """The transcript template's `annotations`, or None: no annotation controls."""
    if not login.staff.has_role(ANNOTATE_ROLE):
        return None
    return {
        "by_message": request.app.state.annotations.of_conversation(sender_id),
        "intents": intent_choices(),
        "new_topic": NEW_TOPIC, "max_note": MAX_NOTE_LENGTH,
        "conversation_id": sender_id, "csrf": login.csrf_token,
    }
