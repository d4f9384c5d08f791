"""The web app's Jinja2 templates (webapp/templates/), HTML-escaped by default."""
from datetime import datetime
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from clinic import settings

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def clinic_time(moment: Optional[str], form: str = "%a %-d %b, %H:%M",
                zone: Optional[ZoneInfo] = None) -> str:
    """A stored time (ISO 8601) as the clinic's local time, e.g. "Tue 4 Jun, 14:05".
    Many times at once: pass the clinic's time zone, read once."""
    if not moment:
        return ""
    local = datetime.fromisoformat(moment).astimezone(zone or settings.opening_hours().time_zone)
    return local.strftime(form)


templates.env.filters["clinic_time"] = clinic_time
