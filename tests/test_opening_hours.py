"""Clinic opening hours, with a fixed clock."""
from datetime import datetime, timezone

import pytest

from clinic.opening_hours import OpeningHours

HOURS = OpeningHours.from_settings({
    "time_zone": "America/New_York",
    "weekly": {"monday": "09:00-17:00", "tuesday": "09:00-17:00", "wednesday": "09:00-17:00",
               "thursday": "09:00-17:00", "friday": "09:00-13:00",
               "saturday": "closed", "sunday": "closed"},
    "closed_days": ["2026-12-25"],
})


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("moment, is_open", [
    (utc(2026, 11, 24, 14, 0), True),    # Tuesday 9:00 in New York (UTC-5)
    (utc(2026, 11, 24, 13, 59), False),  # Tuesday 8:59
    (utc(2026, 11, 24, 22, 0), False),   # Tuesday 17:00: closing time
    (utc(2026, 11, 27, 17, 59), True),   # Friday 12:59
    (utc(2026, 11, 27, 18, 0), False),   # Friday 13:00: closes early
    (utc(2026, 11, 28, 15, 0), False),   # Saturday
    (utc(2026, 12, 25, 15, 0), False),   # Christmas, a Friday
    (utc(2026, 7, 7, 13, 0), True),      # summer time: 9:00 in New York is 13:00 UTC
])
def test_open_only_in_opening_hours_in_the_clinic_s_time_zone(moment, is_open):
    assert HOURS.is_open(moment) is is_open


def test_next_opening_skips_the_weekend_and_closed_days():
    friday_evening = utc(2026, 12, 24, 23, 0)  # Thursday 18:00 before Christmas
    opening = HOURS.next_opening(friday_evening)

    assert opening.isoformat() == "2026-12-28T09:00:00-05:00"  # Monday


def test_hours_that_end_before_they_start_are_refused():
    with pytest.raises(ValueError, match="closes before it opens"):
        OpeningHours.from_settings({"time_zone": "UTC", "weekly": {"monday": "17:00-09:00"}})


def test_a_clinic_that_never_opens_has_no_next_opening():
    closed = OpeningHours.from_settings({"time_zone": "UTC", "weekly": {}})

    assert closed.next_opening(utc(2026, 11, 24, 14, 0)) is None
