"""The staff console's handoff queue (/staff/handoffs) and callback requests
(/staff/callbacks).

The queue is the nurse's one view of the patients waiting for staff: each
request with its conversation (as its transcript shows it, before the request
and since), beside the controls to claim, reply and hand back. Opening it is
recorded in the audit log as reading each of these conversations.

Both pages work without JavaScript: their forms post to the routes below, which
do what the staff API does (they call its functions) and come back to the page.
With JavaScript, static/staff/handoffs.js keeps the queue and its
conversations up to date from the staff API, marks the patient's messages the
nurse hasn't read, alerts to new and urgent requests, and sends the queue's
forms to the API.
"""
from typing import Optional

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from clinic.audit_log import AuditLog
from clinic.handoff_store import DONE, OPEN, HandoffStore
from clinic.rasa_api import RasaApi
from clinic.staff import Staff
from clinic.staff_sessions import LoggedIn
from webapp import staff_api
from clinic.conversation_queries import ConversationQueries
from webapp.console_conversations import (messages_api_url, queries, shown_conversation,
                                          transcript_url)
from webapp.staff_api import audit, current_staff, rasa, store
from webapp.staff_auth import require_role
from webapp.templating import templates

QUEUE = "/staff/handoffs"
CALLBACKS = "/staff/callbacks"
EMPTY_REPLY = (f"Please write a reply of 1 to {staff_api.MAX_MESSAGE_LENGTH} characters; "
               "nothing was sent.")

router = APIRouter(prefix="/staff")


def _back_to_queue(request_id: int) -> Response:
    return RedirectResponse(f"{QUEUE}#request-{request_id}", 303)


@router.get("/handoffs")
def queue_page(request: Request, login: LoggedIn = Depends(require_role("staff")),
               handoffs: HandoffStore = Depends(store),
               reader: ConversationQueries = Depends(queries),
               log: AuditLog = Depends(audit)) -> Response:
    requests = handoffs.active_requests()
    conversations = {}
    for handoff in requests:
        sender_id = handoff["conversation_id"]
        conversations[sender_id] = shown_conversation(reader, sender_id)
        if conversations[sender_id]:
            log.record_view(login.staff, "conversation", sender_id)
    return templates.TemplateResponse(request, "staff/handoffs.html", {
        "login": login, "requests": requests, "conversations": conversations,
        "max_reply": staff_api.MAX_MESSAGE_LENGTH, "transcript_url": transcript_url,
        "messages_api_url": messages_api_url})


@router.post("/handoffs/{request_id:int}/claim")
async def claim(request_id: int, staff: Staff = Depends(current_staff),
                handoffs: HandoffStore = Depends(store), assistant: RasaApi = Depends(rasa),
                log: AuditLog = Depends(audit)) -> Response:
    await staff_api.claim(request_id, staff, handoffs, assistant, log)
    return _back_to_queue(request_id)


@router.post("/handoffs/{request_id:int}/messages")
async def send_message(request_id: int, text: str = Form(""),
                       staff: Staff = Depends(current_staff),
                       handoffs: HandoffStore = Depends(store),
                       assistant: RasaApi = Depends(rasa),
                       log: AuditLog = Depends(audit)) -> Response:
    try:
        message = staff_api.StaffMessage(text=text)
    except ValidationError:
        raise HTTPException(400, EMPTY_REPLY) from None
    await staff_api.send_message(request_id, message, staff, handoffs, assistant, log)
    return _back_to_queue(request_id)


@router.post("/handoffs/{request_id:int}/hand-back")
async def hand_back(request_id: int, staff: Staff = Depends(current_staff),
                    handoffs: HandoffStore = Depends(store),
                    assistant: RasaApi = Depends(rasa),
                    log: AuditLog = Depends(audit)) -> Response:
    await staff_api.hand_back(request_id, staff, handoffs, assistant, log)
    return RedirectResponse(QUEUE, 303)


@router.get("/callbacks")
def callbacks_page(request: Request, show: str = OPEN, done: Optional[str] = None,
                   login: LoggedIn = Depends(require_role("staff")),
                   handoffs: HandoffStore = Depends(store)) -> Response:
    """Open callback requests, or (`?show=done`) those already done; `done` names
    the one just marked done, to confirm it."""
    show = DONE if show == DONE else OPEN
    done_ones = sorted(handoffs.callbacks(DONE) if show == DONE or done else [],
                       key=lambda callback: callback["done_at"], reverse=True)
    just_done = next((c for c in done_ones if str(c["id"]) == done), None)
    return templates.TemplateResponse(request, "staff/callbacks.html", {
        "login": login, "show": show, "just_done": just_done,
        "callbacks": done_ones if show == DONE else handoffs.callbacks(OPEN)})


@router.post("/callbacks/{callback_id:int}/done")
def callback_done(callback_id: int, staff: Staff = Depends(current_staff),
                  handoffs: HandoffStore = Depends(store),
                  log: AuditLog = Depends(audit)) -> Response:
    staff_api.callback_done(callback_id, staff, handoffs, log)
    return RedirectResponse(f"{CALLBACKS}?done={callback_id}", 303)
