"""A request the web app fails on still gets a 500 with the security headers
(webapp/security_headers.py), not Starlette's bare error page."""
from fastapi.testclient import TestClient

from webapp.app import create_app


def test_an_unexpected_error_answers_500_with_the_security_headers(caplog):
    app = create_app()

    @app.get("/staff/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    answer = TestClient(app, raise_server_exceptions=False).get("/staff/broken")

    assert answer.status_code == 500
    assert answer.text == "Internal Server Error"  # no traceback for the visitor
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Error answering GET /staff/broken" in caplog.text  # for the clinic's logs
