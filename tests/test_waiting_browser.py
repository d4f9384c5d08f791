"""Waiting for clinic staff, as the patient sees it in the chat widget, with a
nurse on the staff console claiming, replying and handing back: real browsers
(Debian's Chromium through Playwright), real Rasa server, action server, web
app and database; each flow on a desktop window (1280x800) and a phone (375 px
wide). Screenshots go to results/screenshots/."""
import re
import uuid
from typing import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import VIEWPORTS, ChatWidget, checked_pages, log_in, screenshot
from tests.browser import browser, stack  # noqa: F401 (fixtures)
from tests.test_console_browser import empty_queue

NURSES = {"desktop": "Nurse Uma", "phone": "Nurse Viv"}  # an account each, on one stack
WAITING = "Waiting for clinic staff"
ASSISTANT = "Automated assistant"


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    yield from checked_pages(browser)


class WaitingWidget(ChatWidget):
    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.who = page.locator(".caw-who")
        self.typing = page.locator(".caw-typing")
        self.cancel = page.locator(".caw-waiting").get_by_role(
            "button", name="Never mind, back to the assistant")

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def ask_for_staff(self) -> None:
        before = self.messages("assistant").count()
        self.talk_to_staff.click()
        expect(self.next_reply("assistant", before)).to_contain_text("will join this chat")

    def stays_quiet(self) -> None:
        """No typing dots while the assistant deliberately stays quiet."""
        for _ in range(8):
            expect(self.typing).to_be_hidden()
            self.page.wait_for_timeout(250)

    def fits(self, size: str) -> None:
        width = VIEWPORTS[size]["width"]
        box = self.panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert self.page.evaluate("document.documentElement.scrollWidth") <= width


def patient_page(new_page, stack, size: str) -> WaitingWidget:
    page = new_page(size)
    page.goto(f"{stack.web_url}/")
    widget = WaitingWidget(page)
    widget.open()
    expect(widget.who).to_have_text(ASSISTANT)
    return widget


def assistant_answers(widget: WaitingWidget) -> None:
    """The assistant answers again (after what the patient told staff, perhaps in
    two messages: a knee named earlier gets a word of its own first)."""
    widget.ask("how long does a session take?")
    expect(widget.messages("assistant").filter(has_text="15 to 30 minutes")).to_have_count(1)


def queued(stack, conversation_id: str) -> list:
    _, requests = stack.staff("GET", "/handoffs")
    return [r for r in requests if r["conversation_id"] == conversation_id]


def test_the_wait_can_be_cancelled_by_its_control_or_its_words_at_any_time(
        new_page, stack, viewport):
    widget = patient_page(new_page, stack, viewport)
    widget.ask_for_staff()

    # Waiting: the header says so, "Talk to staff" is not offered, the cancel
    # control is in view, and messages for staff get no typing dots.
    expect(widget.who).to_have_text(WAITING)
    expect(widget.talk_to_staff).to_be_hidden()
    expect(widget.cancel).to_be_visible()
    widget.say("my knee is still swollen after the last injection")
    widget.stays_quiet()
    expect(widget.cancel).to_be_enabled()
    widget.fits(viewport)
    screenshot(widget.page, f"20-waiting-{viewport}")

    # The words the waiting message suggests, as a patient types them.
    before = widget.messages("assistant").count()
    widget.say("nevermind")
    expect(widget.next_reply("assistant", before)).to_contain_text(
        "I've cancelled your request for staff")
    expect(widget.who).to_have_text(ASSISTANT)
    expect(widget.cancel).to_be_hidden()
    expect(widget.talk_to_staff).to_be_visible()
    assert queued(stack, widget.session_id()) == []

    # Again, and this time the control, after typing to staff meanwhile.
    widget.ask_for_staff()
    widget.say("are you there?")
    widget.stays_quiet()
    before = widget.messages("assistant").count()
    widget.cancel.click()
    expect(widget.messages("patient").last).to_have_text(
        re.compile("Never mind, back to the assistant"))
    expect(widget.next_reply("assistant", before)).to_contain_text(
        "I've cancelled your request for staff")
    expect(widget.who).to_have_text(ASSISTANT)
    assert queued(stack, widget.session_id()) == []
    assistant_answers(widget)


def test_asking_for_staff_again_while_waiting_says_the_place_and_queues_once(
        new_page, stack, viewport):
    widget = patient_page(new_page, stack, viewport)
    widget.ask_for_staff()

    expect(widget.ask("can I please talk to a nurse")).to_contain_text(
        re.compile(r"already in the queue.*Patients ahead of you: \d+", re.S))
    assert len(queued(stack, widget.session_id())) == 1
    expect(widget.who).to_have_text(WAITING)
    expect(widget.cancel).to_be_visible()
    screenshot(widget.page, f"21-asked-again-{viewport}")
    widget.cancel.click()
    expect(widget.who).to_have_text(ASSISTANT)


def test_the_patient_sees_who_joined_until_the_nurse_hands_back_also_after_a_reload(
        new_page, stack, viewport):
    empty_queue(stack)
    nurse = NURSES[viewport]
    console = new_page("desktop")
    log_in(console, stack, nurse)
    console.goto(f"{stack.web_url}/staff/handoffs")
    marker = uuid.uuid4().hex[:6]
    widget = patient_page(new_page, stack, viewport)
    widget.ask(f"Hi, I'm Mia {marker}. What does it treat?")
    widget.ask_for_staff()

    request = console.locator(".request", has_text=marker)
    request.get_by_role("button", name="Claim").click()
    expect(request).to_contain_text("Claimed by you")

    joined = widget.messages("notice").last
    expect(joined).to_have_text(f"{nurse} joined the chat.")
    expect(widget.who).to_have_text(f"Chatting with {nurse}, clinic staff")
    expect(widget.talk_to_staff).to_be_hidden()
    expect(widget.cancel).to_be_hidden()
    widget.say("Hello, are you a nurse?")
    widget.stays_quiet()
    request.get_by_label("Reply to the patient").fill("Hello Mia, let's have a look at that.")
    request.get_by_role("button", name="Send reply").click()
    expect(widget.messages("staff").last).to_contain_text("let's have a look at that")
    widget.fits(viewport)
    screenshot(widget.page, f"22-with-staff-{viewport}")

    # A reload (or another page of the site) shows the same: from the chat's history.
    widget.page.reload()
    widget = WaitingWidget(widget.page)
    expect(widget.panel).to_be_visible()
    expect(widget.messages("notice").last).to_have_text(f"{nurse} joined the chat.")
    expect(widget.who).to_have_text(f"Chatting with {nurse}, clinic staff")
    expect(widget.talk_to_staff).to_be_hidden()
    widget.wait_until_online()

    before = widget.messages("assistant").count()
    request.get_by_role("button", name="Hand back to the assistant").click()
    expect(widget.next_reply("assistant", before)).to_contain_text("automated assistant again")
    expect(widget.who).to_have_text(ASSISTANT)
    expect(widget.talk_to_staff).to_be_visible()
    widget.page.reload()
    widget = WaitingWidget(widget.page)
    expect(widget.who).to_have_text(ASSISTANT)
    widget.wait_until_online()
    assistant_answers(widget)
