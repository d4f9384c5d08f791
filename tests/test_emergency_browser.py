"""An emergency as a patient and a nurse meet it, in a real browser (Debian's
Chromium through Playwright) on a desktop (1280x800) and a phone (375 px wide),
against the real Rasa server, action server, web app and database.

The emergency guidance stands out in the chat widget (its own style, an alert
for screen readers, a tap-to-call link to the clinic's emergency number), by
the rule and by the paused conversation's watch alike, and looks the same after
a reload. Outside opening hours the patient is told once that nobody reads the
chat now, never gets a callback form, and the nurse who logs in later finds the
request at the top of the queue. Screenshots go to results/screenshots/."""
import re
import uuid
from typing import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import (VIEWPORTS, ChatWidget, checked_pages, contrast_failures,
                           log_in, screenshot)
from tests.browser import browser, stack  # noqa: F401 (fixtures)
from tests.test_console_browser import COUNT_TONES, empty_queue
from tests.test_emergency_e2e import wait_for_the_claim_timeout_watcher

EMERGENCY = "I suddenly have crushing chest pain and can't breathe"
SHORT_TIMEOUT = 0.05  # minutes: the claim-timeout watcher checks every 1.5 s


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def new_page(browser: Browser, viewport: str) -> Iterator[Callable[[], Page]]:
    """Pages at the test's viewport (a patient, a nurse)."""
    for open_page in checked_pages(browser, [COUNT_TONES]):  # its checks run after the test
        yield lambda: open_page(viewport)


def chatting(page: Page, stack) -> ChatWidget:
    page.goto(f"{stack.web_url}/")
    widget = ChatWidget(page)
    widget.open()
    return widget


def emergency_message(widget: ChatWidget):
    return widget.page.locator(".caw-message--emergency")


def report_emergency(widget: ChatWidget, text: str = EMERGENCY):
    """Types an emergency; returns the guidance as the widget shows it."""
    before = emergency_message(widget).count()
    widget.input.fill(text)
    widget.input.press("Enter")
    guidance = emergency_message(widget).nth(before)
    guidance.wait_for(timeout=30_000)
    return guidance


def assert_stands_out(page: Page, guidance, number: str = "911") -> None:
    expect(guidance.locator(".caw-emergency-title")).to_have_text(re.compile("Possible emergency$"))
    expect(guidance.locator(".caw-text")).to_contain_text(
        f"This may be an emergency. Please call {number} now")
    call = guidance.get_by_role("link", name=f"Call {number}")
    expect(call).to_have_attribute("href", f"tel:{number}")
    expect(call).to_be_visible()
    # Its own look: not the grey bubble of every other answer.
    bubble = guidance.locator(".caw-bubble")
    assert bubble.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(253, 236, 236)"
    assert bubble.evaluate("b => getComputedStyle(b).borderTopStyle") == "solid"
    # Big enough to tap on a phone.
    assert call.bounding_box()["height"] >= 44
    assert contrast_failures(page) == []


def test_the_emergency_guidance_stands_out_and_offers_a_call(new_page, stack, viewport):
    page = new_page()
    widget = chatting(page, stack)
    widget.ask("how long does a session take?")

    guidance = report_emergency(widget)

    assert_stands_out(page, guidance)
    # Read out at once by screen readers.
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Please call 911 now")
    # Then, plainly, what the clinic will do; the other answers look as before.
    expect(widget.messages("assistant").last).to_contain_text("I've also alerted the clinic's staff")
    expect(widget.messages("assistant").filter(has_text="15 to 30 minutes")).not_to_have_class(
        re.compile("caw-message--emergency"))
    screenshot(page, f"30-emergency-guidance-{viewport}")

    # After a reload, the history shows it the same way, without reading it out again.
    page.reload()
    widget = ChatWidget(page)
    expect(emergency_message(widget)).to_have_count(1)
    assert_stands_out(page, emergency_message(widget))
    expect(page.get_by_role("alert")).to_have_count(0)
    screenshot(page, f"31-emergency-guidance-after-reload-{viewport}")
    hand_back(stack, widget.session_id())


def test_an_emergency_while_waiting_for_staff_gets_the_same_guidance(new_page, stack, viewport):
    page = new_page()
    widget = chatting(page, stack)
    before = widget.messages("assistant").count()
    widget.talk_to_staff.click()
    expect(widget.next_reply("assistant", before)).to_contain_text("will join this chat")

    guidance = report_emergency(widget)

    assert_stands_out(page, guidance)
    expect(page.get_by_role("alert")).to_contain_text("Please call 911 now")
    expect(widget.messages("assistant").last).to_contain_text("I've also alerted the clinic's staff")
    screenshot(page, f"32-emergency-while-waiting-{viewport}")
    hand_back(stack, widget.session_id())


def test_without_an_emergency_number_the_guidance_stands_out_without_a_link(new_page, stack,
                                                                           viewport):
    with stack.settings.changed(lambda s: s.pop("emergency_number")):
        page = new_page()
        widget = chatting(page, stack)
        expect(page.get_by_text("In an emergency call your local emergency number.")).to_be_visible()

        guidance = report_emergency(widget)

        expect(guidance.locator(".caw-text")).to_contain_text(
            "This may be an emergency. Please call your local emergency number now")
        expect(guidance.locator(".caw-emergency-title")).to_be_visible()
        expect(guidance.get_by_role("link")).to_have_count(0)
        expect(page.get_by_role("alert")).to_contain_text("your local emergency number")
        assert contrast_failures(page) == []
        screenshot(page, f"33-emergency-without-a-number-{viewport}")
    hand_back(stack, widget.session_id())


def test_outside_hours_the_patient_is_told_once_and_the_nurse_finds_it_at_the_top_of_the_queue(
        new_page, stack, viewport):
    empty_queue(stack)
    marker = uuid.uuid4().hex[:6]
    page = new_page()
    with stack.settings.clinic_closed(), stack.settings.claim_timeout(SHORT_TIMEOUT):
        widget = chatting(page, stack)
        guidance = report_emergency(widget, f"{EMERGENCY} ({marker})")

        assert_stands_out(page, guidance)
        note = widget.messages("assistant").filter(has_text="nobody is reading this chat")
        expect(note).to_have_count(1)
        expect(note).to_contain_text("the first thing the clinic's staff see when they are back")
        screenshot(page, f"34-emergency-outside-hours-{viewport}")

        # Past the claim timeout: no "nobody is free", no callback form, no second note.
        wait_for_the_claim_timeout_watcher(stack)
        page.wait_for_timeout(2_000)
        for offer in ("nobody at the clinic is free", "What name should the clinic ask for?"):
            expect(widget.messages("assistant").filter(has_text=offer)).to_have_count(0)
        expect(note).to_have_count(1)
        expect(widget.messages("assistant")).to_have_count(2)

    # The clinic opens; a nurse logs in and goes to the queue.
    console = new_page()
    log_in(console, stack, f"Nurse {marker}")
    console.get_by_role("link", name="Handoffs").click()
    expect(console.get_by_role("heading", name="Handoff queue")).to_be_visible()
    request = console.locator(".request", has_text=marker)
    expect(request).to_be_visible()
    expect(console.locator(".request").first).to_contain_text(marker)
    expect(request.locator(".badge")).to_have_text("Urgent")
    expect(request).to_contain_text("emergency reported")
    expect(console.get_by_role("alert")).to_contain_text("reported an emergency")
    screenshot(console, f"35-console-emergency-from-last-night-{viewport}")

    # It stays until a member of staff deals with it.
    console.reload()
    expect(console.locator(".request").first).to_contain_text(marker)
    request.get_by_role("button", name="Claim").click()
    expect(request).to_contain_text("Claimed by you")
    request.get_by_role("button", name="Hand back to the assistant").click()
    expect(request).to_have_count(0)


def hand_back(stack, conversation_id: str) -> None:
    """Leave the shared handoff queue as it was for the other tests."""
    for request in stack.staff("GET", "/handoffs")[1]:
        if request["conversation_id"] == conversation_id:
            if request["status"] == "waiting":
                stack.staff("POST", f"/handoffs/{request['id']}/claim")
            stack.staff("POST", f"/handoffs/{request['id']}/hand-back")
