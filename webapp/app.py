"""The clinic web app (`uvicorn webapp.app:app`)."""
import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from fastapi import FastAPI

from clinic import settings
from clinic.analytics import Analytics
from clinic.annotations import Annotations
from clinic.audit_log import AuditLog
from clinic.conversation_index import ConversationIndex
from clinic.conversation_queries import ConversationQueries
from clinic.database import Database, utc_now
from clinic.handoff_store import HandoffStore
from clinic.patient_data import PatientData
from clinic.rasa_api import RasaApi
from clinic.staff_accounts import StaffAccounts
from clinic.staff_sessions import StaffSessions
from webapp import (clinic_pages, console_accounts, console_analytics, console_annotations,
                    console_conversations, console_handoffs, console_patient_data, staff_api,
                    staff_login, staff_pages)
from webapp.claim_timeouts import watch_claim_timeouts
from webapp.conversation_indexing import keep_conversations_indexed
from webapp.login_throttle import LoginThrottle
from webapp.request_limits import RequestSizeLimit
from webapp.security_headers import add_security_headers
from webapp.static_files import StaticFiles
from webapp.staff_auth import install_error_answers

# The chat widget is built into static/widget/ by `make widget` (not committed).
STATIC_DIR = Path(__file__).parent / "static"


def create_app(clock: Callable[[], datetime] = utc_now) -> FastAPI:
    """The web app; tests pass their own clock to move time on."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        database = Database(settings.database_url())
        app.state.clock = clock
        app.state.handoff_store = HandoffStore(database)
        app.state.staff_accounts = StaffAccounts(database, clock)
        app.state.staff_sessions = StaffSessions(
            database, timedelta(minutes=settings.staff_idle_timeout_minutes()), clock)
        app.state.audit_log = AuditLog(database)
        # On the app's clock, which tests move on.
        app.state.login_throttle = LoginThrottle(lambda: clock().timestamp())
        app.state.rasa_api = RasaApi.from_settings()
        app.state.conversation_index = ConversationIndex(database)
        app.state.conversation_queries = ConversationQueries(database)
        app.state.annotations = Annotations(database, clock)
        app.state.analytics = Analytics(database)
        app.state.patient_data = PatientData(database, app.state.rasa_api)
        watcher = asyncio.create_task(
            watch_claim_timeouts(app.state.handoff_store, app.state.rasa_api))
        indexer = asyncio.create_task(keep_conversations_indexed(app.state.conversation_index))
        yield
        watcher.cancel()
        indexer.cancel()
        database.engine.dispose()

    # No /docs, /redoc or /openapi.json: they would show anyone the staff API's
    # layout (docs/staff-console.md describes it for staff).
    app = FastAPI(title="Clinic assistant web app", lifespan=lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(RequestSizeLimit)  # inside the headers: a 413 gets them too
    app.middleware("http")(add_security_headers)
    install_error_answers(app)
    for router in (staff_api.router, staff_login.router, staff_pages.router,
                   console_handoffs.router, console_conversations.router, console_accounts.router,
                   console_conversations.api, console_annotations.router,
                   console_analytics.router, console_analytics.api, console_patient_data.router,
                   clinic_pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    return app


app = create_app()
