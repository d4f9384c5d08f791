"""The clinic page (GET /): the treatment document's sections, and the chat
widget embedded with the one-line snippet a clinic pastes into its own site."""
import html

import pytest
from fastapi.testclient import TestClient

from clinic import settings
from clinic.documents import load_documents
from webapp.app import STATIC_DIR, app

# No `with TestClient(...)`: the page needs none of the app's startup (database,
# Rasa's API token), so the lifespan is not run.
client = TestClient(app)
DOCUMENT = load_documents(settings.content_dir())["prolotherapy"]


def test_front_page_shows_the_treatment_document():
    page = client.get("/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Prolotherapy</h1>" in page.text
    for section in DOCUMENT.sections.values():
        assert f">{html.escape(section.heading)}</h2>" in page.text
    assert "<strong>Pain Relief:</strong> Prolotherapy can provide significant pain relief" in page.text


def test_front_page_embeds_the_widget_with_the_snippet(monkeypatch):
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://clinic.example")
    monkeypatch.setenv("WIDGET_SOCKET_URL", "https://chat.clinic.example")

    page = client.get("/")

    assert ('<script src="https://clinic.example/static/widget/widget.js" '
            'data-socket-url="https://chat.clinic.example" data-emergency-number="911" '
            'defer></script>') in page.text


def test_default_snippet_points_at_the_local_servers(monkeypatch):
    monkeypatch.delenv("WEB_PUBLIC_URL", raising=False)
    monkeypatch.delenv("WIDGET_SOCKET_URL", raising=False)

    assert ('<script src="http://localhost:8000/static/widget/widget.js" '
            'data-socket-url="http://localhost:5005" data-emergency-number="911" '
            'defer></script>') in client.get("/").text


def clinic_settings_with(tmp_path, monkeypatch, emergency_line: str) -> None:
    clinic_settings = (settings.PROJECT_ROOT / "settings/clinic.yml").read_text(encoding="utf-8")
    path = tmp_path / "clinic.yml"
    path.write_text(clinic_settings.replace('emergency_number: "911"', emergency_line),
                    encoding="utf-8")
    monkeypatch.setenv("CLINIC_SETTINGS_FILE", str(path))


def test_emergency_number_from_the_clinic_settings(tmp_path, monkeypatch):
    clinic_settings_with(tmp_path, monkeypatch, 'emergency_number: "112"')

    assert 'data-emergency-number="112" defer></script>' in client.get("/").text


@pytest.mark.parametrize("emergency_line", ["# no emergency_number", 'emergency_number: "call us"'])
def test_without_a_usable_emergency_number_the_page_still_shows_the_chat(
        tmp_path, monkeypatch, emergency_line):
    clinic_settings_with(tmp_path, monkeypatch, emergency_line)
    monkeypatch.delenv("WIDGET_SOCKET_URL", raising=False)

    page = client.get("/")
    assert page.status_code == 200
    assert 'data-socket-url="http://localhost:5005" defer></script>' in page.text


def test_treatment_pages_by_name():
    assert client.get("/treatments/prolotherapy").text == client.get("/").text
    assert client.get("/treatments/no-such-treatment").status_code == 404


def test_built_widget_is_served():
    if not (STATIC_DIR / "widget" / "widget.js").exists():
        pytest.skip("the chat widget is not built: run `make widget` (make test-pytest does)")

    script = client.get("/static/widget/widget.js")
    styles = client.get("/static/widget/widget.css")

    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "session_request" in script.text
    assert styles.status_code == 200
    assert styles.headers["content-type"].startswith("text/css")
