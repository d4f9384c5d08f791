"""The clinic database the actions share, opened on first use (not at import)."""
from functools import lru_cache

from clinic import settings
from clinic.database import Database
from clinic.handoff_store import HandoffStore


@lru_cache(maxsize=None)
def handoff_store() -> HandoffStore:
    return HandoffStore(Database(settings.database_url()))
