"""The staff console's analytics (/staff/analytics): how the assistant has been
used over a period of the clinic's days (the last 30 by default, a GET form
chooses another): conversations per day, top intents, fallback rate, handoffs
and waiting times, busiest hours. Each chart is an image drawn on the server
(analytics_charts.py) with alt text, followed by a table of the same figures.
The same figures as JSON: /api/staff/analytics.

Any staff account may see it: it shows counts, never what anyone wrote, and
the staff role can already read every conversation; the handoff figures are
about the staff's own queue.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from clinic import settings
from clinic.analytics import Analytics, Figures, Period
from clinic.staff_sessions import LoggedIn
from webapp import analytics_charts as charts
from webapp.clinic_days import BadFilter, parse_day
from webapp.staff_auth import require_role
from webapp.templating import templates

ANALYTICS_ROLE = "staff"
DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)  # far from any date's limits

router = APIRouter(prefix="/staff")
api = APIRouter(prefix="/api/staff")


@dataclass(frozen=True)
class PeriodRequest:
    """The period's dates as typed (shown again in the form), and when they were asked."""
    date_from: str
    date_to: str
    now: datetime

    def period(self) -> Period:
        zone = settings.opening_hours().time_zone
        first = parse_day(self.date_from, "From")
        last = parse_day(self.date_to, "To") or self.now.astimezone(zone).date()
        if not all(EARLIEST <= day <= LATEST for day in (first, last) if day):
            raise BadFilter(f"Please choose dates from {EARLIEST} to {LATEST}.")
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise BadFilter("The From date is after the To date.")
        if (last - first).days >= MAX_DAYS:
            raise BadFilter(f"Please choose a period of at most {MAX_DAYS} days.")
        return Period(first, last, zone)


def period_request(request: Request, date_from: str = Query("", alias="from"),
                   date_to: str = Query("", alias="to")) -> PeriodRequest:
    return PeriodRequest(date_from, date_to, request.app.state.clock())


def analytics(request: Request) -> Analytics:
    return request.app.state.analytics


def _shown(figures: Figures) -> dict:
    """The figures as the page shows them (labels, percentages, durations)."""
    handoffs = figures.handoffs
    return {
        "conversations": [(charts.day_label(day), count)
                          for day, count in figures.conversations_per_day],
        "conversations_total": sum(count for _, count in figures.conversations_per_day),
        "intents": figures.top_intents,
        "messages": [(charts.day_label(day.day), day.patient_messages, day.not_understood,
                      charts.percent(day.fallback_rate)) for day in figures.messages_per_day],
        "messages_total": sum(day.patient_messages for day in figures.messages_per_day),
        "handoffs": handoffs, "handoff_rate": charts.percent(handoffs.rate),
        "median_wait": charts.duration(handoffs.median_wait_seconds),
        "p90_wait": charts.duration(handoffs.p90_wait_seconds),
        "handoffs_per_day": [(charts.day_label(day.day), day.requests, day.claimed,
                              charts.duration(day.median_wait_seconds))
                             for day in handoffs.per_day],
        "hours": [(f"{hour:02d}:00–{(hour + 1) % 24:02d}:00", count)
                  for hour, count in figures.busiest_hours],
        "alt": {
            "conversations": charts.describe_conversations(figures.conversations_per_day),
            "intents": charts.describe_intents(figures.top_intents),
            "fallback": charts.describe_fallback(figures.messages_per_day),
            "handoffs": charts.describe_handoffs(handoffs),
            "hours": charts.describe_hours(figures.busiest_hours),
        },
    }


@router.get("/analytics")
def analytics_page(request: Request, login: LoggedIn = Depends(require_role(ANALYTICS_ROLE)),
                   asked: PeriodRequest = Depends(period_request),
                   figures_of: Analytics = Depends(analytics)) -> Response:
    context = {"login": login, "asked": asked, "max_days": MAX_DAYS,
               "time_zone": settings.opening_hours().time_zone}
    try:
        period = asked.period()
    except BadFilter as problem:
        return templates.TemplateResponse(request, "staff/analytics.html", {
            **context, "problem": str(problem), "period": None}, status_code=400)
    query = urlencode({"from": period.first.isoformat(), "to": period.last.isoformat()})
    return templates.TemplateResponse(request, "staff/analytics.html", {
        **context, "problem": None, "period": period, "query": query,
        "first_label": charts.day_label(period.first), "last_label": charts.day_label(period.last),
        "chart_size": charts.SIZE, **_shown(figures_of.figures(period))})


@router.get("/analytics/charts/{name}.png")
def chart(name: str, login: LoggedIn = Depends(require_role(ANALYTICS_ROLE)),
          asked: PeriodRequest = Depends(period_request),
          figures_of: Analytics = Depends(analytics)) -> Response:
    if name not in charts.CHARTS:
        raise HTTPException(404, f"There is no chart {name!r}.")
    try:
        period = asked.period()
    except BadFilter as problem:
        raise HTTPException(400, str(problem)) from None
    return Response(charts.CHARTS[name].draw(figures_of, period), media_type="image/png")


@api.get("/analytics")
def analytics_api(login: LoggedIn = Depends(require_role(ANALYTICS_ROLE)),
                  asked: PeriodRequest = Depends(period_request),
                  figures_of: Analytics = Depends(analytics)) -> dict:
    """The analytics page's figures for the clinic's days `from` to `to`
    (YYYY-MM-DD, both included; by default the last 30 days). Waiting times in
    seconds, rates from 0 to 1 (null without anything to count)."""
    try:
        figures = figures_of.figures(asked.period())
    except BadFilter as problem:
        raise HTTPException(400, str(problem)) from None
    handoffs = figures.handoffs
    return {
        "period": {"from": figures.period.first, "to": figures.period.last,
                   "time_zone": str(figures.period.zone)},
        "conversations_per_day": [{"day": day, "conversations": count}
                                  for day, count in figures.conversations_per_day],
        "top_intents": [{"intent": intent, "messages": count}
                        for intent, count in figures.top_intents],
        "messages_per_day": [{"day": day.day, "patient_messages": day.patient_messages,
                              "not_understood": day.not_understood,
                              "fallback_rate": day.fallback_rate}
                             for day in figures.messages_per_day],
        "handoffs": {
            "conversations": handoffs.conversations, "asked_for_staff": handoffs.asked_for_staff,
            "rate": handoffs.rate, "requests": handoffs.requests, "claimed": handoffs.claimed,
            "still_waiting": handoffs.still_waiting,
            "median_wait_seconds": handoffs.median_wait_seconds,
            "p90_wait_seconds": handoffs.p90_wait_seconds,
            "per_day": [{"day": day.day, "requests": day.requests, "claimed": day.claimed,
                         "median_wait_seconds": day.median_wait_seconds}
                        for day in handoffs.per_day]},
        "busiest_hours": [{"hour": hour, "patient_messages": count}
                          for hour, count in figures.busiest_hours],
    }
