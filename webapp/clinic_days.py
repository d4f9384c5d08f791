"""Dates typed into the staff console's forms (YYYY-MM-DD, as an <input
type="date"> sends them) and the clinic's days they mean: a day begins at
midnight in the clinic's time zone (settings/clinic.yml)."""
from datetime import date, datetime
from typing import Optional

from clinic import settings
from clinic.opening_hours import day_start


class BadFilter(ValueError):
    """A filter of a page that can't be used; its text says why, politely."""


def parse_day(value: str, name: str) -> Optional[date]:
    """The date typed into the field called `name`; None when it is empty."""
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadFilter(f"The {name} date {value!r} is not a date like 2024-06-30.") from None


def clinic_midnight(day: Optional[date]) -> Optional[datetime]:
    """The start of `day` in the clinic's time zone, in UTC (None: no limit)."""
    if day is None:
        return None
    try:
        return day_start(day, settings.opening_hours().time_zone)
    except OverflowError:  # the first day of year 1, east of UTC: no limit either
        return None
