"""Staff API: the handoff queue, staff messages into a patient's chat, hand-back,
callback requests and, for admins, the audit log. Every route needs a logged-in
staff console session (its cookie), and state-changing ones its CSRF token in
the `X-CSRF-Token` header (see webapp/staff_auth.py). Every action is recorded
in the audit log, without the text of messages."""
import logging
from dataclasses import asdict
from typing import List

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, constr

from clinic.audit_log import AuditLog
from clinic.handoff_store import ACTIVE, HandoffStore, RequestNotFound
from clinic.rasa_api import ENDED, JOINED, RasaApi, RasaApiError
from clinic.staff import Staff
from clinic.staff_sessions import LoggedIn
from webapp.staff_auth import require_role
from webapp.staff_pages import page_number

HAND_BACK_MESSAGE = (
    "The clinic's staff member has left the chat. I'm the automated assistant again: "
    "ask me anything about prolotherapy."
)
MAX_MESSAGE_LENGTH = 2000

logger = logging.getLogger(__name__)


router = APIRouter(prefix="/api/staff")


def joined_message(staff: Staff) -> str:
    """What the patient's chat says when a staff member claims their request."""
    return f"{staff.display_name} joined the chat."


class StaffMessage(BaseModel):
    text: constr(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_LENGTH)


def current_staff(login: LoggedIn = Depends(require_role("staff"))) -> Staff:
    return login.staff


def store(request: Request) -> HandoffStore:
    return request.app.state.handoff_store


def rasa(request: Request) -> RasaApi:
    return request.app.state.rasa_api


def audit(request: Request) -> AuditLog:
    return request.app.state.audit_log


def _request_or_404(handoffs: HandoffStore, request_id: int) -> dict:
    try:
        return handoffs.get(request_id)
    except RequestNotFound:
        raise HTTPException(404, f"No handoff request {request_id}") from None


async def _through_rasa(call) -> None:
    try:
        await call
    except RasaApiError as error:
        raise HTTPException(502, f"The assistant could not pass this on: {error}") from None


@router.get("/handoffs")
def active_handoffs(staff: Staff = Depends(current_staff),
                    handoffs: HandoffStore = Depends(store)) -> List[dict]:
    """Waiting and claimed requests, urgent first, then oldest first."""
    return handoffs.active_requests()


@router.post("/handoffs/{request_id}/claim")
async def claim(request_id: int, staff: Staff = Depends(current_staff),
                handoffs: HandoffStore = Depends(store), assistant: RasaApi = Depends(rasa),
                log: AuditLog = Depends(audit)) -> dict:
    """Claim a waiting request; the patient's chat then says who joined. The
    claim stands if Rasa can't pass that on (the first reply will show who it is)."""
    _request_or_404(handoffs, request_id)
    try:
        claimed = handoffs.claim(request_id, staff)
    except ValueError as error:
        raise HTTPException(409, str(error)) from None
    log.record("handoff_claimed", staff, "handoff_request", request_id)
    try:
        await assistant.send_staff_message(claimed["conversation_id"], joined_message(staff),
                                           staff.display_name, handoff=JOINED)
    except RasaApiError:
        logger.warning("Could not tell the patient of handoff request %s that staff joined",
                       request_id)
    return claimed


@router.post("/handoffs/{request_id}/messages")
async def send_message(request_id: int, message: StaffMessage,
                       staff: Staff = Depends(current_staff),
                       handoffs: HandoffStore = Depends(store),
                       assistant: RasaApi = Depends(rasa),
                       log: AuditLog = Depends(audit)) -> dict:
    """The message appears in the patient's chat as from clinic staff."""
    handoff = _request_or_404(handoffs, request_id)
    if handoff["status"] != "claimed" or handoff["claimed_by_id"] != staff.id:
        raise HTTPException(409, "Claim the request before replying")
    await _through_rasa(assistant.send_staff_message(
        handoff["conversation_id"], message.text, staff.display_name))
    log.record("staff_message_sent", staff, "handoff_request", request_id)
    return {"sent": True}


@router.post("/handoffs/{request_id}/hand-back")
async def hand_back(request_id: int, staff: Staff = Depends(current_staff),
                    handoffs: HandoffStore = Depends(store),
                    assistant: RasaApi = Depends(rasa), log: AuditLog = Depends(audit)) -> dict:
    """Give the conversation back to the assistant and resolve the request. The
    assistant first: if Rasa can't be reached, the request stays in the queue."""
    handoff = _request_or_404(handoffs, request_id)
    if handoff["status"] not in ACTIVE:
        raise HTTPException(409, f"request {request_id} is already {handoff['status']}")
    await _through_rasa(assistant.resume(handoff["conversation_id"], {
        "event": "bot", "text": HAND_BACK_MESSAGE,
        "metadata": {"from": "assistant", "handoff": ENDED}}))
    try:
        resolved = handoffs.resolve(request_id)
    except ValueError as error:
        raise HTTPException(409, str(error)) from None
    log.record("handoff_handed_back", staff, "handoff_request", request_id)
    return resolved


@router.get("/callbacks")
def open_callbacks(staff: Staff = Depends(current_staff),
                   handoffs: HandoffStore = Depends(store)) -> List[dict]:
    return handoffs.callbacks()


@router.post("/callbacks/{callback_id}/done")
def callback_done(callback_id: int, staff: Staff = Depends(current_staff),
                  handoffs: HandoffStore = Depends(store), log: AuditLog = Depends(audit)) -> dict:
    try:
        done = handoffs.mark_callback_done(callback_id, staff.display_name)
    except RequestNotFound:
        raise HTTPException(404, f"No callback request {callback_id}") from None
    log.record("callback_done", staff, "callback_request", callback_id)
    return done


@router.get("/audit", dependencies=[Depends(require_role("admin"))])
def audit_log(page: str = "1", log: AuditLog = Depends(audit)) -> dict:
    """The audit log, 100 entries a page, newest first."""
    return asdict(log.page(page_number(page)))
