"""A patient's data on request, for admins (/staff/patient-data): find a
conversation by its id (the end of its transcript's address), see what is kept
of it, download it as JSON, or delete it everywhere (clinic/patient_data.py).

Both are recorded in the audit log: who, which conversation, and for a
deletion how many rows of each kind, never a message's text. Deleting needs
the session's CSRF token like every console form, and a ticked confirmation.
"""
from typing import Optional, Tuple

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response

from clinic.patient_data import PatientData, audit_deletion
from clinic.staff_sessions import LoggedIn
from webapp.staff_auth import require_role
from webapp.templating import templates

ROLE = "admin"
MAX_ID_LENGTH = 255  # Rasa's sender_id column

router = APIRouter(prefix="/staff/patient-data")


def patient_data(request: Request) -> PatientData:
    return request.app.state.patient_data


def _page(request: Request, login: LoggedIn, conversation: str = "",
          found: Optional[dict] = None, done: str = "", problem: str = "",
          status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, "staff/patient_data.html", {
        "login": login, "conversation": conversation, "found": found,
        "done": done, "problem": problem}, status_code=status_code)


def _checked_id(conversation: str) -> Optional[str]:
    """The id as typed, trimmed, or None when it can't be a conversation's id."""
    conversation = conversation.strip()
    if not conversation or len(conversation) > MAX_ID_LENGTH or not conversation.isprintable():
        return None
    return conversation


BAD_ID = (f"Please give the conversation's id: the end of its transcript's address, "
          f"at most {MAX_ID_LENGTH} characters.")
NOT_FOUND = "Nothing is stored for the conversation {!r}."


def _find(request: Request, login: LoggedIn, data: PatientData,
          conversation: str) -> Tuple[Optional[dict], Optional[Response]]:
    """What is kept of the conversation, or the page saying why there is nothing."""
    checked = _checked_id(conversation)
    if checked is None:
        return None, _page(request, login, conversation, problem=BAD_ID, status_code=400)
    found = data.export(checked)
    if found is None:
        return None, _page(request, login, checked, problem=NOT_FOUND.format(checked),
                           status_code=404)
    return found, None


@router.get("")
def page(request: Request, conversation: str = "", login: LoggedIn = Depends(require_role(ROLE)),
         data: PatientData = Depends(patient_data)) -> Response:
    if not conversation:
        return _page(request, login)
    found, refusal = _find(request, login, data, conversation)
    return refusal or _page(request, login, found["conversation_id"], found)


@router.get("/export")
def export(request: Request, conversation: str = "",
           login: LoggedIn = Depends(require_role(ROLE)),
           data: PatientData = Depends(patient_data)) -> Response:
    found, refusal = _find(request, login, data, conversation)
    if refusal:
        return refusal
    conversation_id = found["conversation_id"]
    request.app.state.audit_log.record("conversation_exported", login.staff, "conversation",
                                       conversation_id)
    safe_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in conversation_id)
    return JSONResponse(found, headers={
        "Content-Disposition": f'attachment; filename="conversation-{safe_name}.json"'})


@router.post("/delete")
async def delete(request: Request, conversation: str = Form(""), confirm: str = Form(""),
                 login: LoggedIn = Depends(require_role(ROLE)),
                 data: PatientData = Depends(patient_data)) -> Response:
    checked = _checked_id(conversation)
    if checked is None:
        return _page(request, login, conversation, problem=BAD_ID, status_code=400)
    if confirm != "yes":
        return _page(request, login, checked, data.export(checked), status_code=400,
                     problem="Please tick the box to confirm the deletion; nothing was deleted.")
    deletion = await data.delete(checked)
    if not deletion.erased.anything:
        return _page(request, login, checked, problem=NOT_FOUND.format(checked), status_code=404)
    audit_deletion(request.app.state.audit_log, login.staff, checked, deletion.erased,
                   "staff console")
    done = (f"The conversation {checked!r} was deleted: its messages, handoff and callback "
            "requests and annotations.")
    if deletion.unchecked_turn:
        done += (" The assistant could not be reached to finish a message it may have been "
                 "answering; if the patient was chatting just now, delete it again.")
    return _page(request, login, done=done)
