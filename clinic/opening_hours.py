"""When the clinic's staff can join a chat (settings/clinic.yml, opening_hours)."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Dict, FrozenSet, Optional, Tuple
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """When `day` begins in the time zone `zone` (its midnight), in UTC."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(timezone.utc)


@dataclass(frozen=True)
class OpeningHours:
    time_zone: ZoneInfo
    weekly: Dict[int, Optional[Tuple[time, time]]]  # weekday (0 = Monday) -> open, close
    closed_days: FrozenSet[date]

    @classmethod
    def from_settings(cls, raw: dict) -> "OpeningHours":
        weekly = {}
        for number, day in enumerate(WEEKDAYS):
            value = str(raw["weekly"].get(day, "closed")).strip()
            if value == "closed":
                weekly[number] = None
                continue
            start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
            if start >= end:
                raise ValueError(f"opening_hours: {day} closes before it opens ({value})")
            weekly[number] = (start, end)
        closed = frozenset(
            day if isinstance(day, date) else date.fromisoformat(str(day))
            for day in raw.get("closed_days") or []
        )
        return cls(ZoneInfo(raw["time_zone"]), weekly, closed)

    def _hours_on(self, day: date) -> Optional[Tuple[time, time]]:
        return None if day in self.closed_days else self.weekly[day.weekday()]

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.time_zone)
        hours = self._hours_on(local.date())
        return hours is not None and hours[0] <= local.time() < hours[1]

    def next_opening(self, moment: datetime) -> Optional[datetime]:
        """The next time the clinic opens after `moment` (in the clinic's time zone);
        None if it doesn't open within a year."""
        local = moment.astimezone(self.time_zone)
        for days_ahead in range(0, 366):
            day = local.date() + timedelta(days=days_ahead)
            hours = self._hours_on(day)
            if hours is None:
                continue
            opening = datetime.combine(day, hours[0], tzinfo=self.time_zone)
            if opening > local:
                return opening
        return None

    def zone_name(self) -> str:
        """The time zone as patients know it: "New York time" for America/New_York."""
        return f"{self.time_zone.key.rsplit('/', 1)[-1].replace('_', ' ')} time"

    def describe_opening(self, opening: datetime, now: datetime) -> str:
        """When `opening` is, as seen at `now` in the clinic's time zone: "today
        at 9:00 AM (New York time)", "tomorrow at …", "on Friday at …", and
        "on Monday 4 January at …" a week or more ahead."""
        opening = opening.astimezone(self.time_zone)
        days_ahead = (opening.date() - now.astimezone(self.time_zone).date()).days
        if days_ahead == 0:
            day = "today"
        elif days_ahead == 1:
            day = "tomorrow"
        elif days_ahead < 7:
            day = f"on {opening:%A}"
        else:
            day = f"on {opening:%A} {opening.day} {opening:%B}"
        return f"{day} at {opening:%-I:%M %p} ({self.zone_name()})"
