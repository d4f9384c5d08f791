"""The chat widget in a real browser (Debian's Chromium through Playwright),
on the clinic page the web app serves, against the real Rasa server, action
server, web app and database. Screenshots of the key states go to
results/screenshots/."""
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from clinic.local_servers import another_rasa_server, free_port
from tests.browser import ChatWidget, contrast_failures, screenshot
from tests.browser import browser  # noqa: F401 (a fixture)


@pytest.fixture
def page(browser: Browser, rasa_server) -> Iterator[Page]:
    # A new context per test: a new patient, with empty storage.
    # Reduced motion: no smooth scrolling half-way through a screenshot.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(f"{rasa_server.web_url}/")
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def widget(page: Page) -> ChatWidget:
    return ChatWidget(page)


def test_a_patient_asks_three_questions_and_sees_where_each_answer_comes_from(widget, page):
    expect(page.get_by_role("heading", name="Conditions It Treats")).to_be_visible()
    widget.open()
    expect(page.get_by_text("Automated assistant, not medical advice")).to_be_visible()

    for question, section, quote in [
        ("What does prolotherapy treat?", "Conditions It Treats", "osteoarthritis"),
        ("how long does a session take", "How Long Does It Take", "15 to 30 minutes"),
        ("how does it actually work?", "How Does It Help", "natural healing process"),
    ]:
        answer = widget.ask(question)
        expect(answer.locator(".caw-text")).to_contain_text(quote)
        expect(answer.locator(".caw-source")).to_have_text(re.compile(f'Source: .*"{section}"'))
        # The source is shown once, as the caption, not also in the text.
        expect(answer.locator(".caw-text")).not_to_contain_text("Source:")
    expect(widget.messages("patient")).to_have_count(3)
    screenshot(page, "01-three-answers-with-sources")


def test_a_quick_reply_button_sends_its_choice_once(widget, page):
    widget.open()
    offer = widget.ask("tell me more")  # no topic yet: the assistant offers the topics
    choice = offer.get_by_role("button", name="How long it takes")
    expect(choice).to_be_enabled()
    screenshot(page, "02-quick-replies")

    before = widget.messages("assistant").count()
    choice.click()
    answer = widget.next_reply("assistant", before)
    expect(widget.messages("patient").last).to_contain_text("How long it takes")
    expect(answer).to_contain_text("15 to 30 minutes")
    expect(choice).to_be_disabled()


def test_a_reload_keeps_the_conversation_and_its_history(widget, page, rasa_server):
    widget.open()
    widget.ask("does it hurt?")
    widget.ask("what results can I expect?")
    widget.settled_count("assistant")
    session_id = widget.session_id()
    # On a busy machine an answer's last part can come after a quiet spell:
    # the widget must show every reply the conversation has stored.
    answers = len([event for event in rasa_server.stored_events(session_id)
                   if event["event"] == "bot"])
    expect(widget.messages("assistant")).to_have_count(answers)
    texts = widget.log.inner_text()

    page.reload()
    widget = ChatWidget(page)
    expect(widget.panel).to_be_visible()  # it stays open across pages
    expect(widget.messages("assistant")).to_have_count(answers)
    assert widget.session_id() == session_id
    assert widget.log.inner_text() == texts
    screenshot(page, "03-after-reload")

    widget.wait_until_online()
    expect(widget.ask("how long does a session take?")).to_contain_text("15 to 30 minutes")


def test_staff_take_over_in_the_widget_and_hand_back(widget, page, rasa_server):
    widget.open()
    before = widget.messages("assistant").count()
    widget.talk_to_staff.click()
    expect(widget.messages("patient").last).to_have_text(re.compile("talk to a person"))
    expect(widget.next_reply("assistant", before)).to_contain_text("will join this chat")

    session_id = widget.session_id()
    status, requests = rasa_server.staff("GET", "/handoffs")
    request = next(r for r in requests if r["conversation_id"] == session_id)
    assert rasa_server.staff("POST", f"/handoffs/{request['id']}/claim")[0] == 200
    status, _ = rasa_server.staff("POST", f"/handoffs/{request['id']}/messages",
                                  body={"text": "Hello, this is Jane, a nurse at the clinic."})
    assert status == 200

    staff_message = widget.messages("staff").first
    expect(staff_message).to_contain_text("Hello, this is Jane")
    expect(staff_message.locator(".caw-staff-label")).to_have_text("Clinic staff · Nurse Jane")
    screenshot(page, "04-staff-message")

    before = widget.messages("assistant").count()
    assert rasa_server.staff("POST", f"/handoffs/{request['id']}/hand-back")[0] == 200
    expect(widget.next_reply("assistant", before)).to_contain_text("automated assistant again")
    expect(widget.ask("how long does a session take?")).to_contain_text("15 to 30 minutes")


def test_html_in_messages_is_shown_as_text_and_never_runs(widget, page, rasa_server):
    widget.open()
    attack = ('<script>window.hacked = "script"</script>'
              '<img src=x onerror="window.hacked = \'img\'">')
    widget.ask(attack)
    expect(widget.messages("patient").last).to_have_text(re.compile(re.escape(attack)))

    # The same from the other side: a staff message with HTML in it.
    before = widget.messages("assistant").count()
    widget.talk_to_staff.click()
    expect(widget.next_reply("assistant", before)).to_contain_text("will join this chat")
    status, requests = rasa_server.staff("GET", "/handoffs")
    request = next(r for r in requests if r["conversation_id"] == widget.session_id())
    rasa_server.staff("POST", f"/handoffs/{request['id']}/claim")
    rasa_server.staff("POST", f"/handoffs/{request['id']}/messages", body={"text": attack})
    expect(widget.messages("staff").last).to_contain_text("<img src=x")

    assert page.evaluate("window.hacked") is None
    assert page.locator("clinic-assistant-widget img, clinic-assistant-widget script").count() == 0
    screenshot(page, "05-html-as-text")
    rasa_server.staff("POST", f"/handoffs/{request['id']}/hand-back")


def focused_class(page: Page) -> str:
    return page.evaluate(
        "() => { let e = document.activeElement;"
        " while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;"
        " return e ? e.className : ''; }")


def test_a_whole_conversation_with_the_keyboard_alone(widget, page):
    for _ in range(60):  # Tab through the page until the chat launcher has focus
        page.keyboard.press("Tab")
        if "caw-launcher" in focused_class(page):
            break
    else:
        pytest.fail("the chat launcher can't be reached with Tab")
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('clinic-assistant-widget')"
        ".shadowRoot.activeElement).outlineStyle")
    assert outline != "none", "the focused launcher shows no focus outline"

    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    assert "caw-input" in focused_class(page)
    widget.wait_until_online()
    before = widget.messages("assistant").count()
    page.keyboard.type("what are the benefits")
    page.keyboard.press("Enter")
    expect(widget.next_reply("assistant", before)).to_contain_text("Pain Relief")

    # Shift+Tab leads back to "Talk to staff"; Enter presses it.
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        if "caw-staff" in focused_class(page):
            break
    assert "caw-staff" in focused_class(page)
    before = widget.messages("assistant").count()
    page.keyboard.press("Enter")
    expect(widget.next_reply("assistant", before)).to_contain_text("will join this chat")
    # "Talk to staff" gives way to cancelling the wait, which takes the focus.
    page.wait_for_function("() => document.querySelector('clinic-assistant-widget')"
                           ".shadowRoot.activeElement.className === 'caw-control'")
    screenshot(page, "06-keyboard-only")

    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert "caw-launcher" in focused_class(page)


def test_the_log_is_a_live_region_and_every_control_has_a_label(widget, page):
    widget.open()
    widget.ask("tell me more")  # a message with buttons
    widget.ask("what does it treat?")  # one with a source
    expect(widget.log).to_have_attribute("aria-live", "polite")
    unlabelled = page.evaluate(
        """() => [...document.querySelector('clinic-assistant-widget').shadowRoot
                .querySelectorAll('button, textarea, input, select, a')]
            .filter(c => !(c.getAttribute('aria-label') || c.textContent.trim()
                           || (c.labels && c.labels.length)))
            .map(c => c.outerHTML)""")
    assert unlabelled == []


def test_all_text_in_the_widget_passes_wcag_aa_contrast(widget, page, rasa_server):
    assert contrast_failures(page) == []  # the closed launcher
    widget.open()
    widget.ask("tell me more")  # buttons
    widget.ask("what does it treat?")  # an answer with its source
    before = widget.messages("assistant").count()
    widget.talk_to_staff.click()
    widget.next_reply("assistant", before)
    status, requests = rasa_server.staff("GET", "/handoffs")
    request = next(r for r in requests if r["conversation_id"] == widget.session_id())
    rasa_server.staff("POST", f"/handoffs/{request['id']}/claim")
    rasa_server.staff("POST", f"/handoffs/{request['id']}/messages", body={"text": "Hi, Jane here."})
    widget.messages("staff").first.wait_for()
    page.get_by_label("Your message").focus()
    assert contrast_failures(page) == []
    rasa_server.staff("POST", f"/handoffs/{request['id']}/hand-back")


@pytest.mark.parametrize("name, viewport", [
    ("07-phone-375px", {"width": 375, "height": 667}),
    # 200% zoom of a 1280x800 window: half as many CSS pixels each way.
    ("08-zoom-200-percent", {"width": 640, "height": 400}),
])
def test_the_widget_fits_a_phone_screen_and_200_percent_zoom(widget, page, name, viewport):
    page.set_viewport_size(viewport)
    widget.open()
    widget.ask("is it right for me?")
    box = widget.panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    expect(widget.input).to_be_in_viewport()
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, name)


@pytest.fixture
def clinic_site(tmp_path, rasa_server) -> Iterator[tuple]:
    """Another website of the clinic with the widget on it; yields (its URL, the
    port its widget's Rasa server is to use)."""
    port = free_port()
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        '<!doctype html><html lang="en"><title>Clinic</title><body><h1>Clinic</h1>'
        f'<script src="{rasa_server.web_url}/static/widget/widget.js" '
        f'data-socket-url="http://127.0.0.1:{port}" defer></script></body></html>')
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", port
    server.shutdown()


def test_the_chat_survives_a_server_restart_and_says_when_it_is_offline(
        browser, rasa_server, trained_model, tmp_path, clinic_site):
    site_url, port = clinic_site

    def widget_server(log_name):
        return another_rasa_server(rasa_server, trained_model, port, tmp_path / log_name, site_url)

    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    widget = ChatWidget(page)
    status = page.get_by_role("status")
    try:
        with widget_server("rasa-1.log"):
            page.goto(site_url)
            widget.open()
            expect(widget.ask("what does it treat?")).to_contain_text("osteoarthritis")
        expect(status).to_have_text("Offline — reconnecting…", timeout=30_000)
        expect(widget.input).to_have_attribute("aria-disabled", "true")
        screenshot(page, "09-offline")

        with widget_server("rasa-2.log"):
            expect(status).to_have_text("Back online", timeout=60_000)
            expect(widget.messages("assistant")).to_have_count(1)  # the history, once
            expect(widget.ask("how long does a session take?")).to_contain_text("15 to 30")
    finally:
        context.close()
