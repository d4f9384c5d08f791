"""Every page, file and API answer of the web app comes with its security
headers (webapp/security_headers.py): read from the route table, public routes
as a visitor sees them, the staff console's logged in."""
import re
from typing import Iterator

import pytest

from tests.route_table import endpoints
from tests.staff_console import Clock, Console, running_console
from tests.test_route_protection import PUBLIC
from webapp.app import app

READING = [endpoint for endpoint in endpoints(app) if not endpoint.is_state_changing]
# Real pages and files where a route takes a name.
SAMPLES = {"name": "prolotherapy", "path": "site.css"}


@pytest.fixture(scope="module")
def web_app(tmp_path_factory) -> Iterator[Console]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("WEB_PUBLIC_URL", "https://assistant.clinic.example")
        monkeypatch.setenv("WIDGET_SOCKET_URL", "https://chat.clinic.example")
        with running_console(tmp_path_factory.mktemp("headers"), monkeypatch,
                             Clock()) as running:
            running.add("admin", "admin")  # the role that reaches every page
            yield running


def get(web_app, endpoint, logged_in: bool):
    web_app.client.cookies.clear()
    if logged_in:
        web_app.log_in("admin")
    answer = web_app.client.request(endpoint.method, endpoint.url(**SAMPLES),
                                    follow_redirects=False)
    # The page, not a refusal (400: a page that says which input it lacks).
    assert answer.status_code in (200, 400, 404), answer.text
    return answer


def assert_protected(headers, policy_start="default-src 'self'"):
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["strict-transport-security"] == "max-age=31536000"
    policy = headers["content-security-policy"]
    assert policy.startswith(policy_start)
    for directive in ("frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
                      "form-action 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("endpoint", READING, ids=str)
def test_every_answer_has_the_security_headers(web_app, endpoint):
    staff = str(endpoint) not in PUBLIC or endpoint.path.startswith("/staff/")

    answer = get(web_app, endpoint, logged_in=str(endpoint) not in PUBLIC)

    assert_protected(answer.headers)
    if staff:  # patients' health data: kept by no browser cache nor proxy
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["content-security-policy"].startswith(
            "default-src 'self'; frame-ancestors")


@pytest.mark.parametrize("path", ["/no-such-page", "/staff/no-such-page"])
def test_pages_that_are_not_found_have_them_too(web_app, path):
    web_app.log_in("admin")

    answer = web_app.client.get(path)

    assert answer.status_code == 404
    assert_protected(answer.headers)


def test_the_clinic_page_lets_the_widget_load_and_reach_the_assistant(web_app):
    page = web_app.client.get("/")
    policy = page.headers["content-security-policy"]

    widget = re.search(r'<script src="(https://[^/"]+)/static/widget/widget.js" '
                       r'data-socket-url="([^"]+)"', page.text)
    assert widget.groups() == ("https://assistant.clinic.example", "https://chat.clinic.example")
    assert "script-src 'self' https://assistant.clinic.example;" in policy
    assert "style-src 'self' https://assistant.clinic.example;" in policy  # widget.css
    # socket.io polls over https, then upgrades to a websocket.
    assert "connect-src 'self' https://chat.clinic.example wss://chat.clinic.example;" in policy
    assert "cache-control" not in page.headers  # no patient data: caches may keep it


def test_hsts_only_over_https(web_app):
    plain = web_app.client.get("http://testserver/")

    assert "strict-transport-security" not in plain.headers
    assert plain.headers["x-frame-options"] == "DENY"
