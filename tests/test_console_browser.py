"""The staff console's handoff queue and callback requests in a real browser
(Debian's Chromium through Playwright) against the real Rasa server, action
server, web app and database, with a patient chatting in the widget on the
clinic page at the same time. Screenshots go to results/screenshots/."""
import re
import uuid
from typing import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from clinic.database import Database
from clinic.handoff_store import HandoffStore
from tests.browser import VIEWPORTS, ChatWidget, checked_pages, idle_for, log_in, screenshot
from tests.browser import browser, stack  # noqa: F401 (fixtures)
from tests.test_handoff_e2e import callback_form

# Counts the tones the page plays (headless Chromium has nobody to hear them).
COUNT_TONES = """
window.tonesPlayed = 0;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.tonesPlayed += 1;
  return start.apply(this, args);
};
"""
# Records the desktop notifications the page shows (title and body), and lets a
# test say the tab is in the background (headless Chromium's never is).
RECORD_NOTIFICATIONS = """
window.notificationsShown = [];
window.pretendHidden = false;
Object.defineProperty(Document.prototype, 'hidden', { get: () => window.pretendHidden });
if (window.Notification) {
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.notificationsShown.push({ title, body: (options || {}).body });
    }
  };
}
"""
UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('button, textarea, input:not([type=hidden]), a')]
  .filter((c) => c.getClientRects().length)
  .filter((c) => !(c.getAttribute('aria-label') || c.textContent.trim() || (c.labels && c.labels.length)))
  .map((c) => c.outerHTML)"""


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    yield from checked_pages(browser, [COUNT_TONES, RECORD_NOTIFICATIONS])


def patient_asks_for_staff(page: Page, stack, first_message: str) -> ChatWidget:
    page.goto(f"{stack.web_url}/")
    widget = ChatWidget(page)
    widget.open()
    widget.ask(first_message)
    before = widget.messages("assistant").count()
    widget.talk_to_staff.click()
    expect(widget.next_reply("assistant", before)).to_contain_text("will join this chat")
    return widget


def empty_queue(stack) -> None:
    """Earlier tests on this stack leave requests (an emergency makes an urgent
    one), whose alerts would stay up: the nurse starts with an empty queue."""
    database = Database(stack.database_url)
    try:
        store = HandoffStore(database)
        for request in store.active_requests():
            store.resolve(request["id"])
    finally:
        database.engine.dispose()


def test_a_nurse_takes_over_a_waiting_patient_s_chat_and_hands_it_back(new_page, stack):
    empty_queue(stack)
    console = new_page()
    log_in(console, stack, "Nurse Ada")
    console.get_by_role("link", name="Handoffs").click()
    expect(console.get_by_role("heading", name="Handoff queue")).to_be_visible()
    console.get_by_role("button", name="Turn on sound alerts").click()
    expect(console.get_by_role("button", name="Turn off sound alerts")).to_be_visible()
    tones_before = console.evaluate("window.tonesPlayed")
    assert tones_before > 0  # a sample of the alert sound

    marker = uuid.uuid4().hex[:6]
    widget = patient_asks_for_staff(new_page(), stack, f"Hi, I'm Mia {marker}. Does it help knees?")

    # The request appears without a reload, with the conversation and a live waiting time.
    request = console.locator(".request", has_text=f"I'm Mia {marker}")
    expect(request).to_be_visible()
    expect(request).to_contain_text("patient asked for a person")
    expect(request).to_contain_text("Waiting for staff")
    # The widget's "Talk to staff" button, as the patient saw it (not "/request_human").
    expect(request.locator(".entry--patient .entry-text").last).to_have_text(
        "I'd like to talk to a person (button)")
    expect(request.locator("[data-field=waiting]")).to_have_text(re.compile(r"Waiting \d+ s"))
    expect(console.locator("#queue-news")).to_have_text(re.compile("New request"))
    # A new request has its own, shorter sound.
    console.wait_for_function("(before) => window.tonesPlayed > before", arg=tones_before)
    tones_before = console.evaluate("window.tonesPlayed")

    # While waiting, the patient reports an emergency: the request becomes urgent.
    expect(widget.ask("I suddenly have crushing chest pain and can't breathe")).to_contain_text(
        "emergency")
    expect(request.locator(".badge")).to_have_text("Urgent")
    expect(console.get_by_role("alert")).to_contain_text("reported an emergency")
    console.wait_for_function("(before) => window.tonesPlayed > before", arg=tones_before)
    screenshot(console, "10-console-urgent-alert")

    # Claim with the keyboard: the reply box gets the focus, the alert is done with.
    request.get_by_role("button", name="Claim").focus()
    console.keyboard.press("Enter")
    reply_box = request.get_by_label("Reply to the patient")
    expect(reply_box).to_be_focused()
    expect(request).to_contain_text("Claimed by you")
    expect(console.locator("#urgent-alert")).to_be_hidden()
    console.keyboard.type("Hello Mia, this is Ada, a nurse at the clinic. Please call 911 now.")
    console.keyboard.press("Tab")
    console.keyboard.press("Enter")

    staff_message = widget.messages("staff").last
    expect(staff_message).to_contain_text("this is Ada, a nurse")
    expect(staff_message.locator(".caw-staff-label")).to_have_text("Clinic staff · Nurse Ada")
    expect(request).to_contain_text("Reply sent to the patient's chat.")
    expect(reply_box).to_have_value("")
    expect(request.locator("[data-field=waiting]")).to_have_text(re.compile(r"Waited \d+"))
    assert console.evaluate(UNLABELLED_CONTROLS) == []
    reply_box.focus()
    outline = console.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused reply box shows no focus outline"
    screenshot(console, "11-console-claimed-request")

    # The transcript page, with the same conversation, in a tab of its own.
    with console.context.expect_page() as opened:
        request.get_by_role("link", name="Open the transcript page").click()
    transcript = opened.value
    # Her joining and her reply.
    expect(transcript.get_by_text("Clinic staff · Nurse Ada")).to_have_count(2)
    expect(transcript.get_by_text("crushing chest pain")).to_be_visible()
    expect(transcript.locator(".entry-text", has_text="talk to a person")).to_have_text(
        "I'd like to talk to a person (button)")
    transcript.close()

    before = widget.messages("assistant").count()
    request.get_by_role("button", name="Hand back to the assistant").click()
    expect(widget.next_reply("assistant", before)).to_contain_text("automated assistant again")
    expect(request).to_have_count(0)
    expect(console.get_by_role("heading", name="Handoff queue")).to_be_focused()
    # Mia asked about knees: the answer may say first that the page has nothing knee-specific.
    widget.ask("how long does a session take?")
    expect(widget.messages("assistant").filter(has_text="15 to 30 minutes")).to_have_count(1)


def patient_writes(widget: ChatWidget, text: str) -> None:
    """The patient sends a message while staff have the chat: no answer comes."""
    before = widget.messages("patient").count()
    widget.input.fill(text)
    widget.input.press("Enter")
    expect(widget.messages("patient").nth(before)).to_contain_text(text)


def in_sight(entry) -> bool:
    """The entry is inside its conversation's scroll box as it is scrolled now."""
    return entry.evaluate("""(entry) => {
      const box = entry.closest('.conversation-entries').getBoundingClientRect();
      const own = entry.getBoundingClientRect();
      return own.top >= box.top - 1 && own.bottom <= box.bottom + 1;
    }""")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_nurse_follows_the_conversation_live_and_replies_from_the_same_view(
        new_page, stack, viewport):
    empty_queue(stack)
    name = f"Nurse Flo {VIEWPORTS[viewport]['width']}"
    console = new_page(viewport)
    log_in(console, stack, name)
    console.goto(f"{stack.web_url}/staff/handoffs")
    # Notifications only once the nurse allows them (the browser asks her; she says yes).
    turn_on = console.get_by_role("button", name="Turn on desktop notifications")
    expect(turn_on).to_be_visible()
    console.context.grant_permissions(["notifications"])
    turn_on.click()
    expect(console.get_by_text("Desktop notifications are on")).to_be_visible()
    console.evaluate("window.pretendHidden = true")  # the nurse is in another tab

    marker = uuid.uuid4().hex[:6]
    widget = patient_asks_for_staff(new_page(viewport), stack, f"Hi, I'm Noa {marker}. Does it help knees?")
    request = console.locator(".request", has_text=f"I'm Noa {marker}")
    conversation = request.get_by_role("list", name="Conversation")
    expect(conversation.locator(".entry--patient").first).to_contain_text(f"I'm Noa {marker}")
    expect(conversation.locator(".entry--assistant").last).to_contain_text("will join this chat")
    # A desktop notification for the new request, without the patient's words.
    console.wait_for_function("() => window.notificationsShown.length > 0")
    shown = console.evaluate("window.notificationsShown")
    assert shown[0]["title"] == "New request for staff" and marker not in str(shown)
    console.evaluate("window.pretendHidden = false")

    request.get_by_role("button", name="Claim").click()
    reply_box = request.get_by_label("Reply to the patient")
    expect(reply_box).to_be_focused()

    # The patient writes again, unanswered: it appears in the nurse's view, marked unread.
    for text in ("hello? are you there?", "thanks! how much does it cost?"):
        patient_writes(widget, text)
    for text in ("hello? are you there?", "thanks! how much does it cost?"):
        entry = conversation.locator(".entry--patient", has_text=text)
        expect(entry).to_be_visible()
        expect(entry).to_have_class(re.compile("entry--unread"))
        expect(entry.get_by_text("New", exact=True)).to_be_visible()
        assert in_sight(entry), f"{text!r} is out of sight in the conversation's scroll box"
    expect(request.locator(".unread-count")).to_have_text("2 unread messages")
    screenshot(console, f"14-console-unread-{VIEWPORTS[viewport]['width']}")

    # Clicking the reply box is reading them.
    reply_box.click()
    expect(conversation.locator(".entry--unread")).to_have_count(0)
    expect(request.locator(".unread-count")).to_be_hidden()
    reply_box.fill("Hello Noa, a first visit costs $120. Anything else?")
    request.get_by_role("button", name="Send reply").click()

    # Her reply in her view and in the patient's chat.
    expect(conversation.locator(".entry--staff").last).to_contain_text("a first visit costs $120")
    expect(conversation.locator(".entry--staff").last).to_contain_text(f"Clinic staff · {name}")
    expect(widget.messages("staff").last).to_contain_text("a first visit costs $120")
    assert console.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]  # no sideways scroll
    assert console.evaluate(UNLABELLED_CONTROLS) == []
    screenshot(console, f"15-console-conversation-{VIEWPORTS[viewport]['width']}")

    before = widget.messages("assistant").count()
    request.get_by_role("button", name="Hand back to the assistant").click()
    expect(widget.next_reply("assistant", before)).to_contain_text("automated assistant again")
    expect(request).to_have_count(0)


def test_patient_text_in_the_queue_is_shown_as_text_and_never_runs(new_page, stack):
    console = new_page()
    log_in(console, stack, "Nurse Eve")
    console.goto(f"{stack.web_url}/staff/handoffs")
    attack = (f'<script>window.hacked = "script"</script>'
              f'<img src=x onerror="window.hacked = \'img\'"> {uuid.uuid4().hex[:6]}')

    patient_asks_for_staff(new_page(), stack, attack)

    request = console.locator(".request", has_text=attack)
    expect(request.locator(".entry--patient [data-field=text]").first).to_have_text(attack)
    console.reload()  # the same request as the server renders it
    expect(request.locator(".entry--patient [data-field=text]").first).to_have_text(attack)
    assert console.evaluate("window.hacked") is None
    assert console.locator("#queue img, #queue script").count() == 0

    request.get_by_role("button", name="Claim").click()
    request.get_by_role("button", name="Hand back to the assistant").click()
    expect(request).to_have_count(0)


def test_an_unattended_queue_is_logged_off_and_shows_no_patient_message(new_page, stack):
    console = new_page()
    log_in(console, stack, "Nurse Ida")
    console.goto(f"{stack.web_url}/staff/handoffs")
    marker = uuid.uuid4().hex[:6]
    patient_asks_for_staff(new_page(), stack, f"Hi, I'm Ivy {marker}. Does it help knees?")
    request = console.locator(".request", has_text=marker)
    expect(request).to_be_visible()
    request_id = request.get_attribute("data-request-id")

    # Nobody touched the page for 16 minutes: its own updates don't count.
    idle_for(stack, "Nurse Ida", minutes=16)

    expect(console.get_by_role("alert")).to_have_text(
        "You were logged off after 15 minutes without activity. Log in again")
    expect(console.get_by_role("link", name="Log in again")).to_have_attribute(
        "href", "/staff/login")
    expect(console.get_by_role("heading", name="Handoff queue")).to_be_visible()
    assert marker not in console.content()
    assert console.title() == "Logged off · Clinic staff console"

    for action in ("claim", "hand-back"):  # the request is still there for other staff
        assert stack.staff("POST", f"/handoffs/{request_id}/{action}")[0] == 200


def test_a_callback_request_is_listed_and_marked_done(new_page, stack):
    email = f"mia.{uuid.uuid4().hex[:8]}@example.org"
    with stack.settings.clinic_closed():
        callback_form(stack, f"patient-{uuid.uuid4().hex}", [email], "/affirm")
    console = new_page()
    log_in(console, stack, "Nurse Bea")

    console.get_by_role("link", name="Callbacks").click()
    callback = console.get_by_role("row").filter(has_text=email)
    expect(callback).to_contain_text("Ann Smith")
    expect(callback).to_contain_text("weekday mornings")
    screenshot(console, "12-console-callbacks")
    callback.get_by_role("button", name="Mark as done").click()

    expect(console.get_by_role("status")).to_have_text(
        "Marked as done: the callback request from Ann Smith.")
    expect(callback).to_have_count(0)
    console.get_by_role("link", name="Done").click()
    expect(callback).to_contain_text("by Nurse Bea")


def test_a_staff_account_cannot_open_admin_pages(new_page, stack):
    page = new_page()
    log_in(page, stack, "Nurse Cai")
    expect(page.get_by_role("link", name="The audit log")).to_have_count(0)

    answer = page.goto(f"{stack.web_url}/staff/audit")

    assert answer.status == 403
    expect(page.get_by_text("This needs the admin role")).to_be_visible()


def test_a_browser_that_is_not_logged_in_reaches_no_page_and_no_api(new_page, stack):
    page = new_page()
    for path in ("/staff/handoffs", "/staff/callbacks", "/staff/audit"):
        page.goto(f"{stack.web_url}{path}")
        expect(page).to_have_url(f"{stack.web_url}/staff/login")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    for path in ("/handoffs", "/callbacks"):
        assert page.request.get(f"{stack.web_url}/api/staff{path}").status == 401


def test_an_admin_adds_an_account_that_staff_can_use_but_not_manage(new_page, stack):
    admin = new_page()
    log_in(admin, stack, "Admin Ada", "admin")
    nav = admin.get_by_role("navigation", name="Staff console")
    nav.get_by_role("link", name="Accounts").click()
    expect(admin.get_by_role("heading", name="Staff accounts")).to_be_visible()
    username, password = f"nurse-{uuid.uuid4().hex[:6]}", f"a passphrase {uuid.uuid4().hex}"

    form = admin.get_by_role("form", name="Add an account")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Display name").fill("Nurse Lin")
    form.get_by_label("Role").select_option("staff")
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_label("The same password again").fill(password)
    form.get_by_role("button", name="Add account").click()

    expect(admin.get_by_role("status")).to_have_text(
        f"Added staff account '{username}' (Nurse Lin).")
    account = admin.get_by_role("row").filter(has=admin.get_by_role("rowheader", name=username))
    expect(account).to_contain_text("Nurse Lin")
    expect(account.get_by_role("combobox", name=f"Role of {username}")).to_have_value("staff")
    assert admin.evaluate(UNLABELLED_CONTROLS) == []
    screenshot(admin, "13-console-accounts")

    # The new account logs in, but the accounts page is for admins only.
    nurse = new_page()
    nurse.goto(f"{stack.web_url}/staff/login")
    nurse.get_by_label("Username").fill(username)
    nurse.get_by_label("Password").fill(password)
    nurse.get_by_role("button", name="Log in").click()
    expect(nurse.get_by_role("heading", name="Hello, Nurse Lin")).to_be_visible()
    expect(nurse.get_by_role("link", name="Accounts", exact=True)).to_have_count(0)
    answer = nurse.goto(f"{stack.web_url}/staff/accounts")
    assert answer.status == 403
    expect(nurse.get_by_text("This needs the admin role")).to_be_visible()
