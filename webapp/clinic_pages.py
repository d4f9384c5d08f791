"""The clinic's public pages: a treatment page as the clinic publishes it, with
the patient chat widget embedded by the same one-line snippet a clinic pastes
into its own site (see docs/widget.md)."""
from dataclasses import dataclass
from typing import List, Tuple

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from clinic import emergency, settings
from clinic.documents import Section, TreatmentDocument, bullet_point, load_documents
from webapp.templating import templates

FRONT_PAGE_TREATMENT = "prolotherapy"

router = APIRouter()


@dataclass(frozen=True)
class Block:
    """A paragraph, or a run of bullet points shown as one list."""

    paragraph: str = ""
    bullets: Tuple[Tuple[str, str], ...] = ()  # (label, text)


def blocks(section: Section) -> List[Block]:
    found: List[Block] = []
    for paragraph in section.paragraphs:
        bullet = bullet_point(paragraph)
        if bullet is None:
            found.append(Block(paragraph=paragraph))
        elif found and found[-1].bullets:
            found[-1] = Block(bullets=found[-1].bullets + (bullet,))
        else:
            found.append(Block(bullets=(bullet,)))
    return found


def _site_name() -> str:
    # settings/clinic.yml names the clinic as in a sentence ("the Pain Clinic").
    name = settings.clinic_contact().clinic_name
    return name[:1].upper() + name[1:]


def _treatment_page(request: Request, document: TreatmentDocument,
                    documents: List[TreatmentDocument]) -> HTMLResponse:
    contact = settings.clinic_contact()
    return templates.TemplateResponse(request, "treatment.html", {
        "site_name": _site_name(),
        "contact": contact,
        "document": document,
        "sections": [(section, blocks(section)) for section in document.sections.values()],
        "treatments": documents,
        "widget_script_url": f"{settings.web_public_url()}/static/widget/widget.js",
        "widget_socket_url": settings.widget_socket_url(),
        "emergency_number": emergency.configured_number(),
    })


@router.get("/", response_class=HTMLResponse)
def front_page(request: Request) -> HTMLResponse:
    documents = load_documents(settings.content_dir())
    return _treatment_page(request, documents[FRONT_PAGE_TREATMENT], list(documents.values()))


@router.get("/treatments/{name}", response_class=HTMLResponse)
def treatment_page(request: Request, name: str) -> HTMLResponse:
    documents = load_documents(settings.content_dir())
    if name.lower() not in documents:
        raise HTTPException(status_code=404, detail="No such treatment page")
    return _treatment_page(request, documents[name.lower()], list(documents.values()))
