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


@pytest.mark.parametrize("now, said", [
    # Monday 7 December 2026, 8:00 in New York: the clinic opens later today.
    (utc(2026, 12, 7, 13, 0), "today at 9:00 AM (New York time)"),
    # Monday 17:30: tomorrow morning.
    (utc(2026, 12, 7, 22, 30), "tomorrow at 9:00 AM (New York time)"),
    # Monday 23:30 in New York is already Tuesday in UTC: still "tomorrow".
    (utc(2026, 12, 8, 4, 30), "tomorrow at 9:00 AM (New York time)"),
    # Friday afternoon, closed early: Monday, by its name.
    (utc(2026, 12, 4, 19, 0), "on Monday at 9:00 AM (New York time)"),
    # Saturday: Monday.
    (utc(2026, 12, 5, 15, 0), "on Monday at 9:00 AM (New York time)"),
    # Wednesday 23 December evening: Christmas (Friday 25) is closed, Thursday is next.
    (utc(2026, 12, 23, 23, 0), "tomorrow at 9:00 AM (New York time)"),
    # Thursday 24 December evening: Christmas Friday, then the weekend: Monday.
    (utc(2026, 12, 24, 23, 0), "on Monday at 9:00 AM (New York time)"),
    # Summer time (UTC-4): 8:00 in New York is 12:00 UTC.
    (utc(2026, 7, 6, 12, 0), "today at 9:00 AM (New York time)"),
])
def test_the_next_opening_is_said_from_the_patient_s_today_with_the_time_zone(now, said):
    assert HOURS.describe_opening(HOURS.next_opening(now), now) == said


def test_an_opening_a_week_or_more_away_is_said_with_its_date():
    two_weeks_off = OpeningHours.from_settings({
        "time_zone": "Europe/London", "weekly": {"monday": "10:30-12:00"},
        "closed_days": ["2026-12-14"]})
    now = utc(2026, 12, 7, 12, 0)  # Monday after the morning's hours

    assert two_weeks_off.describe_opening(two_weeks_off.next_opening(now), now) == \
        "on Monday 21 December at 10:30 AM (London time)"
