"""The analytics page's charts, drawn on the server with matplotlib (its Agg
renderer, through Figure objects: no pyplot, no global state, safe in the web
app's threads) as PNG images, and what each shows, in words, for its alt text.
The page puts the same figures in a table below each chart."""
import io
from dataclasses import dataclass
from datetime import date
from typing import Callable, List, Optional, Sequence

from matplotlib.collections import PolyCollection
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from clinic.analytics import Analytics, DayOfHandoffs, DayOfMessages, Handoffs, Period

# The staff console's colours (static/staff.css), at least 3:1 against white.
BLUE, RED, GREY, TEXT = "#0b5394", "#a4161a", "#52606d", "#1f2933"
WIDTH, HEIGHT, DPI = 8, 3, 100  # inches, dots per inch: 800 x 300 pixels
SIZE = {"width": WIDTH * DPI, "height": HEIGHT * DPI}


def _figure(ylabel: str) -> tuple:
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_ylabel(ylabel, color=TEXT)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=TEXT)
    return figure, axes


def _bars(axes, positions: Sequence[float], heights: Sequence[float],
          bottoms: Optional[Sequence[float]] = None, **style) -> None:
    """A bar of width 0.8 at each position, all drawn as one shape: fast for a
    year of days (matplotlib's bar() makes an object of each)."""
    bottoms = bottoms or [0] * len(heights)
    axes.add_collection(PolyCollection(
        [[(x - 0.4, low), (x - 0.4, low + height), (x + 0.4, low + height), (x + 0.4, low)]
         for x, height, low in zip(positions, heights, bottoms)], **style))
    axes.autoscale_view()


def _by_day(axes, days: Sequence[date]) -> List[float]:
    """A date axis for `days`; their positions on it."""
    locator = AutoDateLocator(maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    positions = [float(date2num(day)) for day in days]
    if positions:
        axes.set_xlim(positions[0] - 0.6, positions[-1] + 0.6)
    return positions


def _whole_numbers(axes) -> None:
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)


def _png(figure: Figure) -> bytes:
    image = io.BytesIO()
    figure.savefig(image, format="png", metadata={"Software": None})
    return image.getvalue()


def conversations_chart(per_day: List[tuple]) -> bytes:
    figure, axes = _figure("Conversations")
    positions = _by_day(axes, [day for day, _ in per_day])
    _bars(axes, positions, [count for _, count in per_day], facecolors=BLUE)
    _whole_numbers(axes)
    return _png(figure)


def intents_chart(top: List[tuple]) -> bytes:
    figure, axes = _figure("")
    axes.barh([intent for intent, _ in top], [count for _, count in top], color=BLUE)
    axes.invert_yaxis()  # the most frequent at the top
    axes.set_xlabel("Patients' messages", color=TEXT)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(figure)


def fallback_chart(per_day: List[DayOfMessages]) -> bytes:
    figure, axes = _figure("Not understood")
    days = [day.day for day in per_day]
    rates = [day.fallback_rate for day in per_day]
    axes.plot(days, [float("nan") if rate is None else rate for rate in rates],  # gaps
              color=RED, marker="o", markersize=3)
    _by_day(axes, days)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_ylim(bottom=0, top=max([rate for rate in rates if rate is not None] + [0.1]) * 1.1)
    return _png(figure)


def handoffs_chart(per_day: List[DayOfHandoffs]) -> bytes:
    figure, axes = _figure("Requests for staff")
    positions = _by_day(axes, [day.day for day in per_day])
    claimed = [day.claimed for day in per_day]
    _bars(axes, positions, claimed, facecolors=BLUE, label="Claimed")
    _bars(axes, positions, [day.requests - day.claimed for day in per_day], bottoms=claimed,
          facecolors="white", edgecolors=GREY, hatch="///", label="Not claimed")
    axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncol=2,  # above
                labelcolor=TEXT)
    _whole_numbers(axes)
    return _png(figure)


def hours_chart(hours: List[tuple]) -> bytes:
    figure, axes = _figure("Patients' messages")
    _bars(axes, [hour for hour, _ in hours], [count for _, count in hours], facecolors=BLUE)
    axes.set_xlim(-0.6, 23.6)
    axes.set_xticks(range(0, 24, 2))
    axes.set_xlabel("Hour of the day (clinic time)", color=TEXT)
    _whole_numbers(axes)
    return _png(figure)


@dataclass(frozen=True)
class Chart:
    name: str  # its address: /staff/analytics/charts/<name>.png
    draw: Callable[[Analytics, Period], bytes]  # works out only the figures it needs


CHARTS = {chart.name: chart for chart in (
    Chart("conversations", lambda a, p: conversations_chart(a.conversations_per_day(p))),
    Chart("intents", lambda a, p: intents_chart(a.top_intents(p))),
    Chart("fallback", lambda a, p: fallback_chart(a.messages_per_day(p))),
    Chart("handoffs", lambda a, p: handoffs_chart(a.handoffs(p).per_day)),
    Chart("hours", lambda a, p: hours_chart(a.busiest_hours(p))),
)}


def day_label(day: date) -> str:
    return day.strftime("%a %-d %b %Y")


def percent(share: Optional[float]) -> str:
    return "–" if share is None else f"{share:.1%}"


def duration(seconds: Optional[float]) -> str:
    """A waiting time as people say it: "45 s", "3 min 5 s", "2 h 10 min"."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min" + (f" {seconds % 60} s" if seconds % 60 else "")
    return f"{seconds // 3600} h" + (f" {seconds // 60 % 60} min" if seconds // 60 % 60 else "")


def describe_conversations(per_day: List[tuple]) -> str:
    total = sum(count for _, count in per_day)
    if not total:
        return "Bar chart of conversations per day: none in this period."
    day, most = max(per_day, key=lambda entry: entry[1])
    return (f"Bar chart of conversations per day: {total} in all; the most, {most}, "
            f"on {day_label(day)}.")


def describe_intents(top: List[tuple]) -> str:
    if not top:
        return "Bar chart of the most frequent intents: no understood messages in this period."
    return ("Bar chart of the most frequent intents of patients' messages: "
            + ", ".join(f"{intent} {count}" for intent, count in top) + ".")


def describe_fallback(per_day: List[DayOfMessages]) -> str:
    messages = sum(day.patient_messages for day in per_day)
    if not messages:
        return "Line chart of the share of patients' messages not understood: no messages."
    worst = max((day for day in per_day if day.patient_messages),
                key=lambda day: day.fallback_rate)
    overall = sum(day.not_understood for day in per_day) / messages
    return (f"Line chart of the share of patients' messages not understood, per day: "
            f"{percent(overall)} overall; the highest, {percent(worst.fallback_rate)}, on "
            f"{day_label(worst.day)}.")


def describe_handoffs(handoffs: Handoffs) -> str:
    return (f"Bar chart of requests for staff per day, claimed and not claimed: "
            f"{handoffs.requests} requests, {handoffs.claimed} claimed; median wait "
            f"{duration(handoffs.median_wait_seconds)}, 90th percentile "
            f"{duration(handoffs.p90_wait_seconds)}.")


def describe_hours(hours: List[tuple]) -> str:
    if not any(count for _, count in hours):
        return "Bar chart of patients' messages by hour of the day: none in this period."
    hour, most = max(hours, key=lambda entry: entry[1])
    return (f"Bar chart of patients' messages by hour of the day (clinic time): the busiest "
            f"hour {hour:02d}:00 to {(hour + 1) % 24:02d}:00, with {most} messages.")
