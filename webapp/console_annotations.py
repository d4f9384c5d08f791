"""Editors annotate a patient's message from its transcript (the form of
templates/staff/annotation_macros.html, shown by transcript_annotations.py):
the intent it should have had, or "new topic", with a note. Back to the
transcript, where the annotation shows. Recorded in the audit log: which
message, which intent, never the message's text or the note.
"""
import re

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from clinic.annotations import MAX_NOTE_LENGTH, NEW_TOPIC, NotAPatientMessage, intent_choices
from clinic.audit_log import AuditLog
from clinic.staff_sessions import LoggedIn
from webapp.console_conversations import transcript_url
from webapp.staff_api import audit
from webapp.staff_auth import require_role
from webapp.transcript_annotations import ANNOTATE_ROLE

NOT_SAVED = "; nothing was saved. Please go back and try again."

router = APIRouter(prefix="/staff")


@router.post("/annotations")
def annotate(request: Request, conversation_id: str = Form(""), event_id: str = Form(""),
             intent: str = Form(""), note: str = Form(""),
             login: LoggedIn = Depends(require_role(ANNOTATE_ROLE)),
             log: AuditLog = Depends(audit)) -> Response:
    if not re.fullmatch(r"[0-9]{1,18}", event_id):
        raise HTTPException(400, f"The message to annotate is missing{NOT_SAVED}")
    if intent not in (*intent_choices(), NEW_TOPIC):
        raise HTTPException(400, "Please choose the intent the message should have had from "
                                 f"the list, or “{NEW_TOPIC}”{NOT_SAVED}")
    if len(note) > MAX_NOTE_LENGTH:
        raise HTTPException(400, f"Please keep the note to {MAX_NOTE_LENGTH} characters"
                                 f"{NOT_SAVED}")
    try:
        annotation = request.app.state.annotations.annotate(
            login.staff, conversation_id, int(event_id), intent, note)
    except NotAPatientMessage:
        raise HTTPException(404, "This conversation has no patient's message with this id"
                                 f"{NOT_SAVED}") from None
    log.record("message_annotated", login.staff, "conversation_message", event_id, {
        "conversation_id": conversation_id, "intent": intent,
        "annotation_id": annotation["id"]})
    return RedirectResponse(f"{transcript_url(conversation_id)}#annotations-{event_id}", 303)
