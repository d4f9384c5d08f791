"""The clinic web app (`uvicorn webapp.app:app`)."""
import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from clinic import settings
from clinic.database import Database
from clinic.handoff_store import HandoffStore
from clinic.rasa_api import RasaApi
from clinic.staff_accounts import StaffAccounts
from webapp import clinic_pages, staff_api
from webapp.claim_timeouts import watch_claim_timeouts

# The chat widget is built into static/widget/ by `make widget` (not committed).
STATIC_DIR = Path(__file__).parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI):
    database = Database(settings.database_url())
    app.state.handoff_store = HandoffStore(database)
    app.state.staff_accounts = StaffAccounts(database)
    app.state.rasa_api = RasaApi.from_settings()
    watcher = asyncio.create_task(
        watch_claim_timeouts(app.state.handoff_store, app.state.rasa_api))
    yield
    watcher.cancel()


app = FastAPI(title="Clinic assistant web app", lifespan=lifespan)
app.include_router(staff_api.router)
app.include_router(clinic_pages.router)
app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}
