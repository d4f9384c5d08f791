"""The staff console's pages: home (what the account's role can reach). The
handoff and conversation pages come later."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from clinic.staff_sessions import LoggedIn
from webapp.staff_auth import require_role
from webapp.templating import templates

router = APIRouter(prefix="/staff")


@router.get("/")
def home(request: Request, login: LoggedIn = Depends(require_role("staff"))) -> Response:
    return templates.TemplateResponse(request, "staff/home.html", {"login": login})
