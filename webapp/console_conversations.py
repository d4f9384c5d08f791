"""The staff console's conversations: a list that updates itself as patients
chat (/staff/conversations) and transcripts (/staff/conversations/{id}).

The pages work without JavaScript: the list's filters are a GET form, so a
filtered list's address can be shared. With JavaScript, static/staff/
conversations.js and transcript.js poll the JSON API below every 2 seconds and
update the open page. Everything reads the conversation index
(clinic/conversation_index.py), brought up to date first. Opening a transcript
is recorded in the audit log (the conversation's id, never its text).
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from clinic import settings
from clinic.audit_log import AuditLog
from clinic.conversation_queries import (FLAGS, ConversationFilters, ConversationQueries,
                                         Transcript)
from clinic.staff_sessions import LoggedIn
from webapp.clinic_days import BadFilter, clinic_midnight, parse_day
from webapp.staff_api import audit
from webapp.staff_auth import require_role
from webapp.staff_pages import page_number
from webapp.templating import clinic_time, templates
from webapp.transcript_annotations import annotation_panel

MAX_SEARCH_LENGTH = 200
FLAG_LABELS = {"emergency": "Emergency", "urgent": "Urgent",
               "handoff_waiting": "Waiting for staff", "fallback": "Fallback",
               "low_confidence": "Low confidence"}
SENDERS = {"patient": "Patient", "assistant": "Assistant", "staff": "Clinic staff"}
HANDOFF_EVENTS = {
    "requested": "Asked for staff: {reason}",
    "claimed": "Claimed by {staff_name}",
    "handed_back": "Handed back to the assistant",
    "callback_offered": "Nobody claimed the request in time: callback offered",
    "cancelled": "Request for staff cancelled",
}
BUTTON_MARKER = "(button)"  # after a patient's message that was a button click
WHEN = "%-d %b %Y, %H:%M"  # in the clinic's time zone
WHEN_EXACTLY = WHEN + ":%S"
NO_CONVERSATION = "There is no conversation with this id (or it has no messages yet)."

router = APIRouter(prefix="/staff")
api = APIRouter(prefix="/api/staff")


@dataclass(frozen=True)
class ListRequest:
    """The list's query string, as typed: shown again in the form."""
    q: str
    date_from: str
    date_to: str
    flag: str
    intent: str
    page: str

    def filters(self) -> ConversationFilters:
        text = self.q.strip()
        if len(text) > MAX_SEARCH_LENGTH:
            raise BadFilter(f"Please search for at most {MAX_SEARCH_LENGTH} characters.")
        if self.flag and self.flag not in FLAGS:
            raise BadFilter(f"There is no flag {self.flag!r}: choose one from the list.")
        first, last = parse_day(self.date_from, "From"), parse_day(self.date_to, "To")
        if first and last and first > last:
            raise BadFilter("The From date is after the To date.")
        return ConversationFilters(
            text=text, active_from=clinic_midnight(first),
            active_before=(clinic_midnight(last + timedelta(days=1)) if last and last < date.max
                           else None),
            flag=self.flag or None, intent=self.intent.strip() or None)

    def url(self, page: int) -> str:
        """The list's address with these filters, at `page`."""
        asked = {"q": self.q, "from": self.date_from, "to": self.date_to, "flag": self.flag,
                 "intent": self.intent, "page": "" if page == 1 else str(page)}
        query = urlencode({key: value for key, value in asked.items() if value})
        return "/staff/conversations" + (f"?{query}" if query else "")


def list_request(q: str = "", date_from: str = Query("", alias="from"),
                 date_to: str = Query("", alias="to"), flag: str = "", intent: str = "",
                 page: str = "1") -> ListRequest:
    return ListRequest(q, date_from, date_to, flag, intent, page)


def queries(request: Request) -> ConversationQueries:
    """The index's reader, after indexing what Rasa stored since the index's
    last round (a batch at most; the web app's background task does the rest)."""
    request.app.state.conversation_index.index_new_events(max_batches=1)
    return request.app.state.conversation_queries


def transcript_url(sender_id: str) -> str:
    return f"/staff/conversations/{quote(sender_id, safe='')}"


def _shown_conversation(conversation: dict, zone: ZoneInfo) -> dict:
    return {
        **conversation, "url": transcript_url(conversation["sender_id"]),
        "question": conversation["first_question"] or "(no question yet)",
        "question_marker": _marker(conversation["first_question_payload"]),
        "started_label": clinic_time(conversation["started_at"], WHEN, zone),
        "last_activity_label": clinic_time(conversation["last_activity_at"], WHEN, zone),
        "flags": [{"name": flag, "label": FLAG_LABELS[flag]} for flag in conversation["flags"]],
    }


def _listing(reader: ConversationQueries, asked: ListRequest) -> dict:
    number = page_number(asked.page)
    page = reader.page(asked.filters(), number, settings.conversation_low_confidence())
    zone = settings.opening_hours().time_zone
    return {
        "page": page.number,
        "conversations": [_shown_conversation(c, zone) for c in page.conversations],
        "previous_url": asked.url(number - 1) if number > 1 else None,
        "next_url": asked.url(number + 1) if page.has_next else None,
    }


def _shown_message(message: dict, zone: ZoneInfo) -> dict:
    who = SENDERS[message["sender"]]
    if message["staff_name"]:
        who += f" · {message['staff_name']}"
    understood = ""
    if message["form_slot"]:  # an answer, not a question for the NLU
        understood = f"Answer to the form's question: {message['form_slot']}"
    elif message["intent"]:
        understood = f"Intent: {message['intent']}"
        if message["confidence"] is not None:
            understood += f", confidence {message['confidence']:.2f}"
    return {**message, "who": who, "understood": understood,
            "marker": _marker(message["button_payload"]),
            "at_label": clinic_time(message["at"], WHEN_EXACTLY, zone)}


def _marker(button_payload: Optional[str]) -> str:
    return BUTTON_MARKER if button_payload else ""


def _shown_handoff_event(event: dict, zone: ZoneInfo) -> dict:
    label = HANDOFF_EVENTS[event["kind"]].format(**event)
    if event.get("urgent"):
        label += " (urgent)"
    return {**event, "label": label, "at_label": clinic_time(event["at"], WHEN_EXACTLY, zone)}


def _shown_transcript(transcript: Transcript) -> dict:
    zone = settings.opening_hours().time_zone
    return {"conversation": _shown_conversation(transcript.conversation, zone),
            "messages": [_shown_message(message, zone) for message in transcript.messages],
            "handoff_events": [_shown_handoff_event(e, zone) for e in transcript.handoff_events]}


def _transcript(reader: ConversationQueries, sender_id: str, after: int = 0) -> Transcript:
    transcript = reader.transcript(sender_id, settings.conversation_low_confidence(), after)
    if transcript is None:
        raise HTTPException(404, NO_CONVERSATION)
    return transcript


def shown_conversation(reader: ConversationQueries, sender_id: str) -> Optional[dict]:
    """The transcript as the pages show it: its summary, and its messages and
    handoff events in time order (`entries`); None if there is none yet."""
    transcript = reader.transcript(sender_id, settings.conversation_low_confidence())
    if transcript is None:
        return None
    shown = _shown_transcript(transcript)
    return {**shown, "entries": sorted(
        [*({"kind": "message", **m} for m in shown["messages"]),
         *({"kind": "handoff", **e} for e in shown["handoff_events"])],
        key=lambda entry: datetime.fromisoformat(entry["at"]))}


def messages_api_url(sender_id: str) -> str:
    return f"/api{transcript_url(sender_id)}/messages"


@router.get("/conversations")
def conversation_list(request: Request, login: LoggedIn = Depends(require_role("staff")),
                      asked: ListRequest = Depends(list_request),
                      reader: ConversationQueries = Depends(queries)) -> Response:
    context = {"login": login, "asked": asked, "flags": FLAG_LABELS,
               "intents": reader.intents(), "time_zone": settings.opening_hours().time_zone}
    try:
        listing = _listing(reader, asked)
    except BadFilter as problem:
        return templates.TemplateResponse(request, "staff/conversations.html", {
            **context, "problem": str(problem), "listing": None}, status_code=400)
    return templates.TemplateResponse(request, "staff/conversations.html",
                                      {**context, "problem": None, "listing": listing})


@router.get("/conversations/{sender_id:path}")
def transcript_page(request: Request, sender_id: str,
                    login: LoggedIn = Depends(require_role("staff")),
                    reader: ConversationQueries = Depends(queries),
                    log: AuditLog = Depends(audit)) -> Response:
    shown = shown_conversation(reader, sender_id)
    if shown is None:
        raise HTTPException(404, NO_CONVERSATION)
    log.record_view(login.staff, "conversation", sender_id)
    return templates.TemplateResponse(request, "staff/conversation.html", {
        "login": login, **shown, "entries_shown": shown["entries"],
        "annotations": annotation_panel(request, login, sender_id),
        "api_url": messages_api_url(sender_id),
        "time_zone": settings.opening_hours().time_zone})


@api.get("/conversations")
def conversations_api(login: LoggedIn = Depends(require_role("staff")),
                      asked: ListRequest = Depends(list_request),
                      reader: ConversationQueries = Depends(queries)) -> dict:
    """A page of the list, newest activity first, 50 a page; the same filters
    as the page: q (text), from and to (dates, YYYY-MM-DD), flag, intent."""
    try:
        return _listing(reader, asked)
    except BadFilter as problem:
        raise HTTPException(400, str(problem)) from None


@api.get("/conversations/{sender_id:path}/messages")
def transcript_api(sender_id: str, after: str = "0",
                   login: LoggedIn = Depends(require_role("staff")),
                   reader: ConversationQueries = Depends(queries),
                   log: AuditLog = Depends(audit)) -> dict:
    """The conversation's summary, its messages after event id `after` (all
    of them by default), and its handoff events."""
    if not re.fullmatch(r"[0-9]{1,18}", after):
        raise HTTPException(400, f"after must be an event id (a whole number), not {after!r}.")
    transcript = _transcript(reader, sender_id, int(after))
    if int(after) == 0:  # the whole conversation was read
        log.record_view(login.staff, "conversation", sender_id)
    return _shown_transcript(transcript)
