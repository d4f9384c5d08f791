"""The staff console's pages: home (what the account's role can reach) and,
for admins, the audit log. The handoff and conversation pages have modules of
their own (console_handoffs.py, console_conversations.py)."""
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from clinic.staff_sessions import LoggedIn
from webapp.staff_auth import require_role
from webapp.templating import templates

LAST_PAGE = 1_000_000  # beyond any list; keeps the offset within the databases' integers

router = APIRouter(prefix="/staff")


def page_number(page: str) -> int:
    if not (page.isascii() and page.isdigit() and 1 <= int(page) <= LAST_PAGE):
        raise HTTPException(400, f"There is no page {page!r}: pages are numbered from 1.")
    return int(page)


@router.get("/")
def home(request: Request, login: LoggedIn = Depends(require_role("staff"))) -> Response:
    # An emergency reported while nobody was watching is the first thing staff see.
    urgent = [handoff for handoff in request.app.state.handoff_store.active_requests()
              if handoff["urgent"] and handoff["status"] == "waiting"]
    return templates.TemplateResponse(request, "staff/home.html",
                                      {"login": login, "urgent": urgent})


@router.get("/audit")
def audit_log_page(request: Request, page: str = "1",
                   login: LoggedIn = Depends(require_role("admin"))) -> Response:
    return templates.TemplateResponse(request, "staff/audit.html", {
        "login": login, "page": request.app.state.audit_log.page(page_number(page))})
