"""Figures about the assistant's conversations over a period of the clinic's
days, from the conversation index (clinic/conversation_index.py) and the
handoff requests (clinic/handoff_store.py), for the staff console's analytics
page (webapp/console_analytics.py):
- conversations per day (by the day they started);
- top intents of the patients' understood messages;
- fallback rate per day: the share of patients' messages not understood;
(a patient's answer to a form's question, a name or a phone number, is no
question for the NLU: neither an intent of the top ones nor a fallback);
- handoffs: the share of the period's conversations that asked for staff, and
  the waiting time from a request to its claim (median and 90th percentile),
  with the requests per day;
- busiest hours: the patients' messages by hour of the day.

The databases add up (SQL aggregates); only the clinic's days and hours are
worked out here, as SQLite has no time zones: messages and conversations are
counted per hour since 1970 (UTC), or per quarter of an hour when the clinic's
offset from UTC is not whole hours, a slice of time that falls in one hour of
one day in the clinic's time zone, then added up by its days and hours.
"""
import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, cast, exists, func, select

from clinic.conversation_events import FALLBACK_INTENT, PATIENT
from clinic.conversation_index import ConversationMessage, ConversationSummary
from clinic.database import Database, as_utc
from clinic.handoff_store import WAITING, HandoffRequest
from clinic.opening_hours import day_start

HOUR, QUARTER = 3600, 900  # seconds: every time zone's offset from UTC is whole quarters
TOP_INTENTS = 10


@dataclass(frozen=True)
class Period:
    """The clinic's days `first` to `last`, both included, in the clinic's time zone."""
    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return day_start(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return day_start(self.last + timedelta(days=1), self.zone)

    def days(self) -> List[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def slice_seconds(self) -> int:
        """The time slices to count in: hours, unless the clinic's offset from
        UTC is not whole hours at some point of the period."""
        offsets = {day_start(day, self.zone).astimezone(self.zone).utcoffset()
                   for day in [*self.days(), self.last + timedelta(days=1)]}
        return HOUR if all(offset.total_seconds() % HOUR == 0 for offset in offsets) else QUARTER


Slice = Tuple[datetime, tuple]  # when it began, in the clinic's time zone; its counts


@dataclass(frozen=True)
class DayOfMessages:
    day: date
    patient_messages: int
    not_understood: int

    @property
    def fallback_rate(self) -> Optional[float]:
        return self.not_understood / self.patient_messages if self.patient_messages else None


@dataclass(frozen=True)
class DayOfHandoffs:
    day: date
    requests: int
    claimed: int
    median_wait_seconds: Optional[float]


@dataclass(frozen=True)
class Handoffs:
    conversations: int  # started in the period
    asked_for_staff: int  # of those, how many asked for staff
    requests: int  # made in the period
    claimed: int
    still_waiting: int
    median_wait_seconds: Optional[float]  # from request to claim
    p90_wait_seconds: Optional[float]
    per_day: List[DayOfHandoffs]

    @property
    def rate(self) -> Optional[float]:
        return self.asked_for_staff / self.conversations if self.conversations else None


@dataclass(frozen=True)
class Figures:
    period: Period
    conversations_per_day: List[Tuple[date, int]]
    top_intents: List[Tuple[str, int]]  # most messages first
    messages_per_day: List[DayOfMessages]
    handoffs: Handoffs
    busiest_hours: List[Tuple[int, int]]  # hours 0 to 23, patients' messages in each


class Analytics:
    def __init__(self, database: Database) -> None:
        self._engine = database.engine  # reads only: no transaction needed
        self._slice = _SLICES[database.engine.dialect.name]

    def figures(self, period: Period) -> Figures:
        slices = self._patient_messages_per_slice(period)  # read once for two figures
        return Figures(period, self.conversations_per_day(period), self.top_intents(period),
                       self.messages_per_day(period, slices), self.handoffs(period),
                       self.busiest_hours(period, slices))

    def conversations_per_day(self, period: Period) -> List[Tuple[date, int]]:
        summary = ConversationSummary
        per_day = _by_day(period, self._per_slice(
            period, summary.started_at, _within(summary.started_at, period)), width=1)
        return [(day, counts[0]) for day, counts in per_day.items()]

    def top_intents(self, period: Period) -> List[Tuple[str, int]]:
        message = ConversationMessage
        count = func.count().label("count")
        with self._engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                select(message.intent, count).where(
                    _patients(period), message.intent.isnot(None),
                    message.intent != FALLBACK_INTENT, message.form_slot.is_(None))
                .group_by(message.intent).order_by(count.desc(), message.intent)
                .limit(TOP_INTENTS))]

    def messages_per_day(self, period: Period, slices: Optional[List[Slice]] = None,
                         ) -> List[DayOfMessages]:
        per_day = _by_day(period, slices or self._patient_messages_per_slice(period), width=2)
        return [DayOfMessages(day, *counts) for day, counts in per_day.items()]

    def busiest_hours(self, period: Period, slices: Optional[List[Slice]] = None,
                      ) -> List[Tuple[int, int]]:
        hours = [0] * 24
        for moment, (messages, _) in slices or self._patient_messages_per_slice(period):
            hours[moment.hour] += messages
        return list(enumerate(hours))

    def handoffs(self, period: Period) -> Handoffs:
        summary, request = ConversationSummary, HandoffRequest
        with self._engine.connect() as connection:
            conversations, asked = connection.execute(
                select(func.count(), func.count().filter(
                    exists().where(request.conversation_id == summary.sender_id)))
                .where(_within(summary.started_at, period))).one()
            requests = connection.execute(
                select(request.created_at, request.claimed_at, request.status)
                .where(_within(request.created_at, period))).all()
        waits: Dict[date, List[float]] = {day: [] for day in period.days()}
        made: Dict[date, int] = {day: 0 for day in period.days()}
        for created, claimed, _ in requests:
            day = as_utc(created).astimezone(period.zone).date()
            made[day] += 1
            if claimed:
                waits[day].append((as_utc(claimed) - as_utc(created)).total_seconds())
        every_wait = sorted(wait for day in waits.values() for wait in day)
        return Handoffs(
            conversations=conversations, asked_for_staff=asked, requests=len(requests),
            claimed=len(every_wait),
            still_waiting=sum(1 for *_, status in requests if status == WAITING),
            median_wait_seconds=statistics.median(every_wait) if every_wait else None,
            p90_wait_seconds=percentile(every_wait, 0.9),
            per_day=[DayOfHandoffs(day, made[day], len(waits[day]),
                                   statistics.median(waits[day]) if waits[day] else None)
                     for day in period.days()])

    def _patient_messages_per_slice(self, period: Period) -> List[Slice]:
        """(patients' messages, those not understood) in each slice of time."""
        message = ConversationMessage
        return self._per_slice(period, message.timestamp, _patients(period),
                               func.count().filter(message.fallback))

    def _per_slice(self, period: Period, moment, condition, *more_counts) -> List[Slice]:
        """(rows, *more_counts) of each slice of time with rows."""
        seconds = period.slice_seconds()
        number = self._slice(moment, seconds).label("slice")
        with self._engine.connect() as connection:
            rows = connection.execute(select(number, func.count(), *more_counts)
                                      .where(condition).group_by(number)).all()
        return [(datetime.fromtimestamp(row[0] * seconds, period.zone), tuple(row[1:]))
                for row in rows]


def percentile(ordered: List[float], share: float) -> Optional[float]:
    """The nearest-rank percentile of sorted figures: the smallest with at
    least `share` of them at or below it."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _by_day(period: Period, slices: List[Slice], width: int) -> Dict[date, tuple]:
    """`width` counts per slice of time, added up by the clinic's days (every
    day of the period, with zeros)."""
    days: Dict[date, list] = {day: [0] * width for day in period.days()}
    for moment, counts in slices:
        totals = days[moment.date()]
        for index, count in enumerate(counts):
            totals[index] += count
    return {day: tuple(counts) for day, counts in days.items()}


def _within(moment, period: Period):
    return and_(moment >= period.start, moment < period.end)


def _patients(period: Period):
    message = ConversationMessage
    return and_(message.sender == PATIENT, _within(message.timestamp, period))


# Seconds since 1970 (UTC) divided by the slice's seconds, rounded down, in each database.
_SLICES: Dict[str, Callable] = {
    "sqlite": lambda moment, seconds: cast(func.strftime("%s", moment), Integer) / seconds,
    "postgresql": lambda moment, seconds: cast(
        func.floor(func.extract("epoch", moment) / seconds), Integer),
}
