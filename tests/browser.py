"""Debian's Chromium driven by Playwright, for the browser tests of the chat
widget and the staff console.

The browser is the system's (/usr/bin/chromium, installed by .ci/run), never
one Playwright downloads: CI and a newcomer's machine run the same thing.
"""
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from sqlalchemy import select, update

from clinic.database import Database, utc_now
from clinic.local_servers import Stack, add_staff_account
from clinic.settings import PROJECT_ROOT
from clinic.staff_accounts import StaffAccount
from clinic.staff_accounts import StaffSession
from tests.services import unavailable

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "results" / "screenshots"
SESSION_KEY = "clinic-assistant-session"  # where the widget keeps the conversation id


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """For the browser tests (imported as a fixture): Chromium, one per test module."""
    yield from chromium()


@pytest.fixture
def stack(rasa_server):
    """For the browser tests (imported as a fixture): the whole assistant
    (tests/conftest.py's rasa_server), which the patient and the nurse use."""
    return rasa_server


def chromium() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        unavailable(f"Chromium at {CHROMIUM}", "not installed; .ci/run installs Debian's")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()


# The sizes every browser test of a flow runs at; a phone also has touch.
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}


def checked_pages(browser: Browser, init_scripts: Sequence[str] = ()) -> Iterator[Callable[..., Page]]:
    """For a fixture: opens pages, each in a browser of its own (a patient, a
    nurse), at a viewport of VIEWPORTS; at the end, checks that none had a
    JavaScript error or broke the security policy."""
    contexts, problems = [], []

    def open_page(viewport: str = "desktop") -> Page:
        phone = viewport == "phone"
        context = browser.new_context(viewport=VIEWPORTS[viewport], reduced_motion="reduce",
                                      is_mobile=phone, has_touch=phone)
        for script in init_scripts:
            context.add_init_script(script)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(error))
        page.on("console", lambda message: problems.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems == [], f"JavaScript errors or security policy violations: {problems}"


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def log_in(page: Page, stack: Stack, name: str, role: str = "staff") -> None:
    """Make a staff account for `name` and log in to the staff console through
    its login form, as a staff member would."""
    username, password = add_staff_account(stack.database_url, name, role)
    page.goto(f"{stack.web_url}/staff/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=f"Hello, {name}")).to_be_visible()


def idle_for(stack: Stack, name: str, minutes: float) -> None:
    """As if the staff member `name` had done nothing on the console for
    `minutes`: their sessions were last used that long ago."""
    database = Database(stack.database_url)
    try:
        with database.session() as session:
            session.execute(update(StaffSession).where(StaffSession.staff_id.in_(
                select(StaffAccount.id).where(StaffAccount.display_name == name)))
                .values(last_seen_at=utc_now() - timedelta(minutes=minutes))
                .execution_options(synchronize_session=False))
    finally:
        database.engine.dispose()


class ChatWidget:
    """The widget on a page, as a patient sees and uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.get_by_role("button", name="Chat with our assistant")
        self.panel = page.get_by_role("dialog", name="Chat with our assistant")
        self.log = page.get_by_role("log", name="Conversation")
        self.input = page.get_by_label("Your message")
        self.talk_to_staff = page.get_by_role("button", name="Talk to staff")

    def open(self) -> None:
        self.launcher.click()
        self.panel.wait_for()
        self.wait_until_online()

    def wait_until_online(self) -> None:
        self.page.wait_for_function(
            "() => { const i = document.querySelector('clinic-assistant-widget')"
            ".shadowRoot.querySelector('.caw-input'); return i && !i.readOnly; }")

    def messages(self, sender: str) -> Locator:
        return self.page.locator(f".caw-message--{sender}")

    def ask(self, text: str) -> Locator:
        """Type a question, press Enter, return the assistant's next message."""
        before = self.messages("assistant").count()
        self.input.fill(text)
        self.input.press("Enter")
        return self.next_reply("assistant", before)

    def next_reply(self, sender: str, before: int) -> Locator:
        reply = self.messages(sender).nth(before)
        reply.wait_for(timeout=30_000)
        return reply

    def settled_count(self, sender: str, quiet_ms: int = 1500) -> int:
        """How many messages of `sender` there are once none has arrived for
        `quiet_ms` (an answer may come in several messages)."""
        count = self.messages(sender).count()
        while True:
            self.page.wait_for_timeout(quiet_ms)
            now = self.messages(sender).count()
            if now == count:
                return count
            count = now

    def session_id(self) -> str:
        return self.page.evaluate(f"localStorage.getItem('{SESSION_KEY}')")


# WCAG 2.1 contrast of every piece of visible text in the widget against the
# background it is drawn on (the nearest ancestor with an opaque background).
CONTRAST_FAILURES_JS = """() => {
  const root = document.querySelector('clinic-assistant-widget').shadowRoot;
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement || (e.getRootNode() && e.getRootNode().host)) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of root.querySelectorAll('*')) {
    const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!hasText || !el.getClientRects().length || el.closest('.caw-visually-hidden')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const [a, b] = [luminance(rgb(style.color)), luminance(background(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) failures.push(`${el.className || el.tagName}: ${ratio.toFixed(2)} < ${needed}`);
  }
  return failures;
}"""


def contrast_failures(page: Page) -> list:
    return page.evaluate(CONTRAST_FAILURES_JS)
