"""The staff console's conversation list and transcripts in a real browser
(Debian's Chromium through Playwright) against the real servers, while a
patient chats in the widget on the clinic page. Screenshots go to
results/screenshots/."""
import re

from playwright.sync_api import Page, expect

from tests.browser import ChatWidget, log_in, screenshot
from tests.test_console_browser import browser, new_page, stack  # noqa: F401

LIVE = 15_000  # ms: the pages ask every 2 s, the index catches up every second
ATTACK = ('<script>window.hacked = "script"</script>'
          '<img src=x onerror="window.hacked = \'img\'">')


def patient_chatting(page: Page, stack) -> ChatWidget:
    page.goto(f"{stack.web_url}/")
    widget = ChatWidget(page)
    widget.open()
    return widget


def open_conversations(page: Page, stack, name: str) -> None:
    log_in(page, stack, name)
    page.get_by_role("navigation", name="Staff console").get_by_role(
        "link", name="Conversations").click()
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    page.evaluate("window.notReloaded = true")


def row_of(page: Page, widget: ChatWidget):
    return page.locator(f'tr[data-sender-id="{widget.session_id()}"]')


def test_the_list_and_the_transcript_update_while_a_patient_chats(new_page, stack):
    console = new_page()
    open_conversations(console, stack, "Nurse Lee")
    patient = new_page()
    widget = patient_chatting(patient, stack)

    widget.ask("What does prolotherapy treat?")

    row = row_of(console, widget)
    expect(row).to_be_visible(timeout=LIVE)
    expect(row.get_by_role("link")).to_have_text("What does prolotherapy treat?")
    expect(row.locator("td").nth(3)).to_have_text("2")
    expect(console.get_by_role("status").first).to_contain_text("new conversation")
    expect(console.locator("#conversations tbody tr").first).to_have_attribute(
        "data-sender-id", widget.session_id())  # newest first
    assert console.evaluate("window.notReloaded") is True
    screenshot(console, "20-conversations-list")

    row.get_by_role("link").click()
    expect(console.get_by_role("heading", name="Conversation", exact=True)).to_be_visible()
    transcript = console.get_by_role("list", name="Transcript")
    expect(transcript.locator(".entry--patient")).to_contain_text(
        re.compile(r"Intent: ask_conditions, confidence [01]\.\d\d"))
    console.evaluate("window.notReloaded = true")

    widget.ask("how long does a session take?")
    widget.ask("I have chest pain and can't breathe")

    expect(transcript.locator(".entry--patient")).to_have_count(3, timeout=LIVE)
    newest_answer = transcript.locator(".entry--assistant").nth(1)
    expect(newest_answer).to_contain_text("15 to 30 minutes")
    expect(newest_answer.locator(".entry-source")).to_have_text(
        re.compile('Source: the clinic\'s Prolotherapy page, "How Long Does It Take"'))
    expect(transcript.locator(".entry--handoff")).to_contain_text(
        "Asked for staff", timeout=LIVE)
    expect(console.locator(".summary")).to_contain_text("Emergency")
    expect(console.get_by_role("status").first).to_contain_text("new message")
    assert console.evaluate("window.notReloaded") is True
    screenshot(console, "21-conversation-transcript")
    hand_back(stack, widget.session_id())


def hand_back(stack, conversation_id: str) -> None:
    """Leave the shared handoff queue as it was for the other tests."""
    [request] = [r for r in stack.staff("GET", "/handoffs")[1]
                 if r["conversation_id"] == conversation_id]
    stack.staff("POST", f"/handoffs/{request['id']}/claim")
    stack.staff("POST", f"/handoffs/{request['id']}/hand-back")


def test_html_a_patient_typed_is_shown_as_text_and_never_runs(new_page, stack):
    console = new_page()
    open_conversations(console, stack, "Nurse Kim")
    widget = patient_chatting(new_page(), stack)

    widget.ask(ATTACK)  # reaches the list while it is open: added by its script

    row = row_of(console, widget)
    expect(row.get_by_role("link")).to_have_text(ATTACK, timeout=LIVE)
    row.get_by_role("link").click()  # the transcript, made by the server
    transcript = console.get_by_role("list", name="Transcript")
    expect(transcript.locator(".entry--patient").first.locator(".entry-text")).to_have_text(ATTACK)

    widget.ask(f"again: {ATTACK}")  # added to the open transcript by its script
    expect(transcript.locator(".entry--patient").nth(1).locator(".entry-text")).to_have_text(
        f"again: {ATTACK}", timeout=LIVE)

    console.go_back()  # the list, made by the server
    expect(row_of(console, widget).get_by_role("link")).to_have_text(ATTACK)
    assert console.evaluate("window.hacked") is None
    assert console.locator("main img, main script").count() == 0


def test_a_logged_out_browser_reaches_no_conversation_page_or_api(new_page, stack):
    stranger = new_page()
    for path in ("/staff/conversations", "/staff/conversations/someone"):
        stranger.goto(f"{stack.web_url}{path}")
        expect(stranger).to_have_url(f"{stack.web_url}/staff/login")
    for path in ("/api/staff/conversations", "/api/staff/conversations/someone/messages"):
        assert stranger.request.get(f"{stack.web_url}{path}").status == 401

    # Logged out in another tab: the open list stops and says so.
    console = new_page()
    open_conversations(console, stack, "Nurse Ola")
    other_tab = console.context.new_page()
    other_tab.goto(f"{stack.web_url}/staff/")
    other_tab.get_by_role("button", name="Log out").click()
    expect(console.get_by_role("alert")).to_have_text(
        "You have been logged out, so this page no longer updates. Log in again", timeout=LIVE)
    expect(console.get_by_role("link", name="Log in again")).to_be_visible()
    expect(console.locator("main table, main tr")).to_have_count(0)  # no patient's words
