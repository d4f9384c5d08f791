"""Annotating patients' messages and the analytics page in a real browser
(Debian's Chromium through Playwright) against the real servers, after a
patient chatted through Rasa's REST channel; and what the staff role and a
logged-out browser can't reach. Screenshots go to results/screenshots/."""
import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser import log_in, screenshot
from tests.test_console_browser import browser, new_page, stack  # noqa: F401
from webapp.app import create_app

LIVE = 15_000  # ms: the transcript asks every 2 s, the index catches up every second


def patient_chats(stack, *messages: str) -> str:
    """A patient's conversation through Rasa's REST channel; returns its id."""
    sender = f"patient-{uuid.uuid4().hex[:12]}"
    for message in messages:
        stack.send(sender, message)
    return sender


def open_transcript(page: Page, stack, sender: str) -> None:
    page.goto(f"{stack.web_url}/staff/conversations/{sender}")
    expect(page.get_by_role("heading", name="Conversation", exact=True)).to_be_visible()


def test_an_editor_annotates_a_patient_s_message_and_sees_the_annotation(new_page, stack):
    sender = patient_chats(stack, "Do you also do PRP injections?")
    console = new_page()
    log_in(console, stack, "Eve Editor", "editor")
    open_transcript(console, stack, sender)
    message = console.locator(".entry--patient").first
    expect(message.locator(".entry-text")).to_have_text("Do you also do PRP injections?")

    message.get_by_text("Annotate this message").click()
    message.get_by_label("Intent it should have had").select_option("new topic")
    message.get_by_label("Note (optional)").fill("PRP: the clinic has no page about it yet")
    screenshot(console, "30-annotation-form")
    message.get_by_role("button", name="Save annotation").click()

    expect(console).to_have_url(re.compile(r"#annotations-\d+$"))
    annotations = console.locator(".entry--patient").first.get_by_role("list", name="Annotations")
    expect(annotations).to_contain_text("Should be new topic")
    expect(annotations).to_contain_text("(“PRP: the clinic has no page about it yet”)")
    expect(annotations).to_contain_text("Eve Editor")
    expect(annotations).to_contain_text("not exported yet")

    # A message that arrives while the transcript is open can be annotated too.
    stack.send(sender, "how much is a session?")
    later = console.locator(".entry--patient").nth(1)
    expect(later.locator(".entry-text")).to_have_text("how much is a session?", timeout=LIVE)
    later.get_by_text("Annotate this message").click()
    later.get_by_label("Intent it should have had").select_option("ask_cost")
    later.get_by_role("button", name="Save annotation").click()
    expect(console.locator(".entry--patient").nth(1).get_by_role(
        "list", name="Annotations")).to_contain_text("Should be ask_cost")


def test_staff_see_no_annotation_controls_and_their_annotation_is_refused(new_page, stack):
    sender = patient_chats(stack, "what does prolotherapy treat?")
    console = new_page()
    log_in(console, stack, "Sam Staff")
    open_transcript(console, stack, sender)
    expect(console.locator(".entry--patient")).to_have_count(1)

    expect(console.get_by_text("Annotate this message")).to_have_count(0)
    expect(console.get_by_label("Intent it should have had")).to_have_count(0)
    event_id = console.locator(".entry--patient").first.get_attribute("data-event-id")
    csrf = console.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = console.request.post(f"{stack.web_url}/staff/annotations", form={
        "csrf": csrf, "conversation_id": sender, "event_id": event_id, "intent": "ask_cost"})
    assert refused.status == 403
    assert "This needs the editor role" in refused.text()


def test_the_analytics_page_shows_its_charts_and_tables_for_a_period(new_page, stack):
    patient_chats(stack, "how long does a session take?", "does it hurt?")
    console = new_page()
    log_in(console, stack, "Nurse Ana")
    console.get_by_role("navigation", name="Staff console").get_by_role(
        "link", name="Analytics").click()
    expect(console.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    today = console.get_by_label("To", exact=True).input_value()

    console.get_by_label("From", exact=True).fill(f"{today[:8]}01")  # this month, so far
    console.get_by_role("button", name="Show").click()

    expect(console).to_have_url(re.compile(rf"from={today[:8]}01&to={today}"))
    charts = console.locator("main figure img")
    expect(charts).to_have_count(5)
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_attribute("alt", re.compile(r"chart .* The table below gives"))
        console.wait_for_function("(img) => img.complete && img.naturalWidth === 800",
                                  arg=chart.element_handle())
    for caption in ("Conversations per day, by the day they began",
                    "The most frequent intents of patients' understood messages",
                    "Patients' messages the assistant did not understand, per day",
                    "Requests for staff per day, and the median wait until claimed",
                    "Patients' messages by hour of the day (clinic time)"):
        expect(console.get_by_role("table", name=caption)).to_be_visible()
    conversations = console.get_by_role(
        "table", name="Conversations per day, by the day they began")
    assert int(conversations.locator("tbody tr").last.locator("td").inner_text()) >= 1  # today
    expect(console.get_by_role("table", name=re.compile("most frequent intents"))).to_contain_text(
        "ask_duration")
    console.evaluate("window.scrollTo(0, 0)")
    screenshot(console, "31-analytics")


def test_a_staff_account_cannot_open_the_admin_pages(new_page, stack):
    console = new_page()
    log_in(console, stack, "Nurse Sid")
    expect(console.get_by_role("link", name="Accounts")).to_have_count(0)

    for path in ("/staff/audit", "/staff/accounts"):
        answer = console.goto(f"{stack.web_url}{path}")

        assert answer.status == 403, path
        expect(console.get_by_text(
            "This needs the admin role; your account has the staff role.")).to_be_visible()
    assert console.request.get(f"{stack.web_url}/api/staff/audit").status == 403


def test_a_logged_out_browser_reaches_no_page_or_api(new_page, stack):
    stranger = new_page()
    stranger.goto(f"{stack.web_url}/staff/analytics")
    expect(stranger).to_have_url(f"{stack.web_url}/staff/login")
    assert stranger.request.get(f"{stack.web_url}/api/staff/analytics").status == 401

    # Every route of the staff console and its API, with any method it answers.
    for route in create_app().routes:
        path = re.sub(r"\{[^}]+\}", "1", getattr(route, "path", ""))
        if not re.match(r"/(api/)?staff(/|$)", path) or path == "/staff/login":
            continue
        for method in route.methods - {"HEAD"}:
            answer = stranger.request.fetch(f"{stack.web_url}{path}", method=method,
                                            max_redirects=0)
            if path.startswith("/api/"):
                assert answer.status == 401, (method, path, answer.status)
            else:
                assert (answer.status, answer.headers.get("location")) == (
                    303, "/staff/login"), (method, path)
