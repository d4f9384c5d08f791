"""The analytics page's figures (clinic/analytics.py) from a small conversation
index, saved by Rasa's own SQL tracker store, on SQLite and on PostgreSQL.

The period is 7 to 9 March 2026 in New York, across the change to summer time
(8 March, 2:00): the clinic's days and hours must be its own on both sides."""
from datetime import date, datetime, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest

from clinic.analytics import Analytics, DayOfHandoffs, DayOfMessages, Period, percentile
from clinic.conversation_index import ConversationIndex
from clinic.database import Database
from clinic.handoff_store import RESOLVED, WAITING, HandoffRequest
from rasa.shared.core.events import ActiveLoop, SlotSet

from tests.rasa_events import RasaEvents, patient
from tests.services import fresh_postgres_database

NEW_YORK = ZoneInfo("America/New_York")
PERIOD = Period(date(2026, 3, 7), date(2026, 3, 9), NEW_YORK)
MARCH_7, MARCH_8, MARCH_9 = PERIOD.days()


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


def handoff(conversation: str, asked: datetime, waited: float = None) -> HandoffRequest:
    return HandoffRequest(
        conversation_id=conversation, reason="patient asked for a person", urgent=False,
        status=WAITING if waited is None else RESOLVED, created_at=asked,
        claimed_by=None if waited is None else "Nurse Jane",
        claimed_at=None if waited is None else asked + timedelta(seconds=waited))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'clinic.db'}"
        yield from _seeded(url)
    else:
        with fresh_postgres_database() as url:
            yield from _seeded(url)


def _seeded(url: str) -> Iterator[Database]:
    rasa = RasaEvents(url)
    at = lambda *moment: utc(*moment).timestamp()  # noqa: E731
    # 7 March, 10:00 in New York (EST, UTC-5): a question, one not understood, another.
    rasa.save("a", patient("how much is it", "ask_cost", timestamp=at(7, 15)),
              patient("asdf", "nlu_fallback", 0.3, timestamp=at(7, 15, 1)),
              patient("and with insurance?", "ask_cost", timestamp=at(7, 15, 2)))
    # Began 6 March at 23:00 (before the period), went on after midnight.
    rasa.save("e", patient("hello", "greet", timestamp=at(7, 4)),
              patient("what does it cost", "ask_cost", timestamp=at(7, 5, 10)))
    # 8 March, 22:30 in New York, summer time (EDT, UTC-4): asked for staff, waited 90 s.
    rasa.save("b", patient("how long does it take", "ask_duration", timestamp=at(9, 2, 30)))
    # 9 March, 10:00: waited 5 minutes; 11:00: still waiting.
    rasa.save("c", patient("hi", "greet", timestamp=at(9, 14)),
              patient("qwerty", "nlu_fallback", 0.2, timestamp=at(9, 14, 5)))
    rasa.save("f", patient("can I talk to a nurse", "request_human", timestamp=at(9, 15)))
    # 10 March, 1:30 in New York: after the period.
    rasa.save("d", patient("is it safe", "ask_side_effects", timestamp=at(10, 5, 30)))
    rasa.close()
    database = Database(url)
    ConversationIndex(database).index_new_events()
    with database.session() as session:
        session.add_all([handoff("b", utc(9, 2, 30), waited=90),
                         handoff("c", utc(9, 14, 5), waited=300),
                         handoff("f", utc(9, 15)),
                         handoff("d", utc(10, 5, 30), waited=20)])
    yield database
    database.engine.dispose()


def test_conversations_per_day_count_those_that_began_on_each_of_the_clinic_s_days(database):
    assert Analytics(database).conversations_per_day(PERIOD) == [
        (MARCH_7, 1), (MARCH_8, 1), (MARCH_9, 2)]


def test_top_intents_are_of_the_patients_understood_messages_most_first(database):
    assert Analytics(database).top_intents(PERIOD) == [
        ("ask_cost", 3), ("ask_duration", 1), ("greet", 1), ("request_human", 1)]


def test_the_fallback_rate_is_the_share_of_patients_messages_not_understood(database):
    days = Analytics(database).messages_per_day(PERIOD)

    assert days == [DayOfMessages(MARCH_7, 4, 1), DayOfMessages(MARCH_8, 1, 0),
                    DayOfMessages(MARCH_9, 3, 1)]
    assert [day.fallback_rate for day in days] == [0.25, 0.0, 1 / 3]


def test_answers_to_a_form_s_questions_are_neither_misses_nor_top_intents(database):
    at = lambda *moment: utc(*moment).timestamp()  # noqa: E731
    rasa = RasaEvents(database.engine.url.render_as_string(hide_password=False))
    # 9 March, 12:00 in New York: the callback form takes a name and a phone number.
    rasa.save("g", ActiveLoop("callback_form", timestamp=at(9, 16)),
              SlotSet("requested_slot", "callback_name", timestamp=at(9, 16)),
              patient("Ann Smith", "nlu_fallback", 0.3, timestamp=at(9, 16, 1)),
              SlotSet("requested_slot", "callback_contact", timestamp=at(9, 16, 1)),
              patient("555 0100 123", "ask_cost", 0.2, timestamp=at(9, 16, 2)))
    rasa.close()
    ConversationIndex(database).index_new_events()

    analytics = Analytics(database)

    assert analytics.messages_per_day(PERIOD)[-1] == DayOfMessages(MARCH_9, 5, 1)
    assert analytics.top_intents(PERIOD) == [
        ("ask_cost", 3), ("ask_duration", 1), ("greet", 1), ("request_human", 1)]


def test_handoffs_rate_and_waiting_time_from_request_to_claim(database):
    handoffs = Analytics(database).handoffs(PERIOD)

    assert (handoffs.conversations, handoffs.asked_for_staff, handoffs.rate) == (4, 3, 0.75)
    assert (handoffs.requests, handoffs.claimed, handoffs.still_waiting) == (3, 2, 1)
    assert (handoffs.median_wait_seconds, handoffs.p90_wait_seconds) == (195, 300)
    assert handoffs.per_day == [DayOfHandoffs(MARCH_7, 0, 0, None),
                                DayOfHandoffs(MARCH_8, 1, 1, 90),
                                DayOfHandoffs(MARCH_9, 2, 1, 300)]


def test_busiest_hours_are_the_clinic_s_hours_of_the_patients_messages(database):
    hours = dict(Analytics(database).busiest_hours(PERIOD))

    assert list(hours) == list(range(24))
    assert {hour: count for hour, count in hours.items() if count} == {0: 1, 10: 5, 11: 1, 22: 1}


def test_a_period_without_conversations_has_zeros_and_no_rates(database):
    quiet = Period(date(2025, 1, 1), date(2025, 1, 2), NEW_YORK)

    figures = Analytics(database).figures(quiet)

    assert figures.conversations_per_day == [(date(2025, 1, 1), 0), (date(2025, 1, 2), 0)]
    assert figures.top_intents == []
    assert [day.fallback_rate for day in figures.messages_per_day] == [None, None]
    assert (figures.handoffs.rate, figures.handoffs.median_wait_seconds,
            figures.handoffs.p90_wait_seconds) == (None, None, None)
    assert sum(count for _, count in figures.busiest_hours) == 0


def test_the_90th_percentile_is_the_nearest_rank():
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([float(n) for n in range(1, 12)], 0.9) == 10.0


def test_a_clinic_half_an_hour_off_utc_counts_in_its_own_days_and_hours(database):
    kolkata = Period(PERIOD.first, PERIOD.last, ZoneInfo("Asia/Kolkata"))  # UTC+5:30
    assert (PERIOD.slice_seconds(), kolkata.slice_seconds()) == (3600, 900)
    rasa = RasaEvents(database.engine.url.render_as_string(hide_password=False))
    rasa.save("k", patient("hi", "greet", timestamp=utc(8, 18, 40).timestamp()))  # 9 March, 0:10
    rasa.close()
    ConversationIndex(database).index_new_events()

    analytics = Analytics(database)

    assert analytics.conversations_per_day(kolkata) == [(MARCH_7, 2), (MARCH_8, 0), (MARCH_9, 4)]
    hours = dict(analytics.busiest_hours(kolkata))
    assert {hour: count for hour, count in hours.items() if count} == {
        0: 1, 8: 1, 9: 1, 10: 1, 19: 2, 20: 4}
