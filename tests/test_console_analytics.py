"""The analytics page, its charts and its API, without a browser: the web app
on a temporary SQLite database with conversations saved by Rasa's own SQL
tracker store (the figures themselves: tests/test_analytics.py; in a browser:
tests/test_annotations_analytics_browser.py)."""
import re
from datetime import datetime, timezone
from html import unescape

import pytest

from tests.rasa_events import RasaEvents, patient
from tests.staff_console import clock, console  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n"
CHARTS = ("conversations", "intents", "fallback", "handoffs", "hours")
MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def nurse(console):
    rasa = RasaEvents(console.database_url)
    at = datetime(2026, 3, 10, 15, tzinfo=timezone.utc).timestamp()  # 11:00 in New York
    rasa.save("p1", patient("how much is it <b>really</b>?", "ask_cost", timestamp=at),
              patient("zzz", "nlu_fallback", 0.2, timestamp=at + 60))
    rasa.save("p2", patient("does it hurt", "ask_side_effects", timestamp=at + 3600))
    rasa.close()
    console.client.app.state.conversation_index.index_new_events()
    console.add("jane", "staff")
    console.log_in("jane")
    return console


def table(page: str, caption: str) -> list:
    """A table's body rows, each as the text of its cells."""
    found = re.search(rf"<caption[^>]*>{re.escape(caption)}</caption>.*?<tbody>(.*?)</tbody>",
                      page, re.S)
    return [[unescape(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)]


def test_logged_out_the_page_and_charts_send_to_the_login_page_and_the_api_answers_401(console):
    for path in ("/staff/analytics", "/staff/analytics/charts/hours.png"):
        answer = console.client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/staff/login")
    assert console.client.get("/api/staff/analytics").status_code == 401


def test_staff_see_each_chart_with_alt_text_and_its_figures_in_a_table(nurse):
    page = nurse.client.get(f"/staff/analytics?{MARCH}")

    assert page.status_code == 200
    text = unescape(page.text)
    for name in CHARTS:
        assert f'src="/staff/analytics/charts/{name}.png?from=2026-03-01&to=2026-03-31"' in text
    assert 'alt="Bar chart of conversations per day: 2 in all; the most, 2, on Tue 10 Mar 2026.' \
        in text
    assert "Bar chart of the most frequent intents of patients' messages: ask_cost 1, " \
           "ask_side_effects 1." in text
    assert "33.3% overall; the highest, 33.3%, on Tue 10 Mar 2026." in text
    assert "the busiest hour 11:00 to 12:00, with 2 messages." in text
    assert ["Tue 10 Mar 2026", "2"] in table(
        page.text, "Conversations per day, by the day they began")
    assert len(table(page.text, "Conversations per day, by the day they began")) == 31
    assert table(page.text, "The most frequent intents of patients&#39; understood messages") == [
        ["ask_cost", "1"], ["ask_side_effects", "1"]]
    assert ["Tue 10 Mar 2026", "3", "1", "33.3%"] in table(
        page.text, "Patients&#39; messages the assistant did not understand, per day")
    assert table(page.text, "Patients&#39; messages by hour of the day (clinic time)")[11] == [
        "11:00–12:00", "2"]
    assert "how much is it" not in page.text  # counts only, never what patients wrote
    assert '<a href="/staff/analytics">Analytics</a>' in page.text  # in the navigation


def test_the_period_is_the_last_30_days_unless_chosen(nurse, clock):
    # 02:30 on 1 March in UTC is still 28 February in New York, the clinic's time zone.
    clock.now = datetime(2026, 3, 1, 2, 30, tzinfo=timezone.utc)

    page = nurse.client.get("/staff/analytics").text

    assert 'name="from" type="date" value="2026-01-30"' in page
    assert 'name="to" type="date" value="2026-02-28"' in page


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_is_a_png_image(nurse, name):
    chart = nurse.client.get(f"/staff/analytics/charts/{name}.png?{MARCH}")

    assert chart.status_code == 200
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(PNG)
    assert chart.headers["cache-control"] == "no-store"


def test_the_api_gives_the_same_figures(nurse):
    figures = nurse.client.get(f"/api/staff/analytics?{MARCH}").json()

    assert figures["period"] == {"from": "2026-03-01", "to": "2026-03-31",
                                 "time_zone": "America/New_York"}
    assert {"day": "2026-03-10", "conversations": 2} in figures["conversations_per_day"]
    assert figures["top_intents"] == [{"intent": "ask_cost", "messages": 1},
                                      {"intent": "ask_side_effects", "messages": 1}]
    assert figures["handoffs"]["conversations"] == 2 and figures["handoffs"]["rate"] == 0
    assert figures["busiest_hours"][11] == {"hour": 11, "patient_messages": 2}


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01", "The From date '2026-13-01' is not a date like 2024-06-30."),
    ("from=2026-03-10&to=2026-03-01", "The From date is after the To date."),
    ("from=2025-01-01&to=2026-01-02", "Please choose a period of at most 366 days."),
    ("from=0001-01-01&to=0001-01-02", "Please choose dates from 1970-01-01 to 9998-12-31."),
    ("to=9999-12-31", "Please choose dates from 1970-01-01 to 9998-12-31."),
])
def test_a_period_that_cannot_be_used_gets_a_polite_answer(nurse, query, message):
    page = nurse.client.get(f"/staff/analytics?{query}")
    api = nurse.client.get(f"/api/staff/analytics?{query}")
    chart = nurse.client.get(f"/staff/analytics/charts/hours.png?{query}")

    assert page.status_code == api.status_code == chart.status_code == 400
    assert message in unescape(page.text)
    assert api.json() == {"detail": message}


def test_an_unknown_chart_is_a_polite_404(nurse):
    answer = nurse.client.get("/staff/analytics/charts/secrets.png")

    assert answer.status_code == 404
    assert "There is no chart &#39;secrets&#39;." in answer.text
