// The patient chat widget. A clinic embeds it with one line:
//   <script src="https://…/static/widget/widget.js" data-socket-url="https://rasa.…" defer></script>
// It loads widget.css from beside itself and lives in a shadow root, so the
// host site's styles and the widget's don't touch each other.
import { openConnection } from "./connection.js";
import { START, WAITING, WITH_STAFF, afterMessage, assistantAnswers, whoText } from "./handoff.js";
import { TALK_TO_STAFF, fromHistory, fromPatient, fromServer } from "./messages.js";
import { buildPanel } from "./panel.js";
import { disableReplies, renderControl, renderMessage } from "./render.js";
import { local, session } from "./storage.js";

const MAX_LENGTH = 1000;
const TYPING_TIMEOUT_MS = 15000;
const BACK_ONLINE_SHOWN_MS = 4000;
const STYLES_WAIT_MS = 3000;
const OPEN_KEY = "clinic-assistant-open";
const HOST_TAG = "clinic-assistant-widget";

function start(script) {
  const socketUrl = script.dataset.socketUrl;
  if (!socketUrl) {
    console.error("Chat widget: the script tag needs data-socket-url (the assistant's address).");
    return;
  }
  const ui = buildPanel({ emergencyNumber: (script.dataset.emergencyNumber || "").trim(), maxLength: MAX_LENGTH });

  const host = document.createElement(HOST_TAG);
  const shadow = host.attachShadow({ mode: "open" });
  const stylesheet = document.createElement("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = new URL("widget.css", script.src).href;
  // Hidden until styled, so the page never flashes an unstyled widget; shown
  // anyway if the styles neither load nor fail within a few seconds.
  ui.root.hidden = true;
  const reveal = () => { ui.root.hidden = false; };
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);
  setTimeout(reveal, STYLES_WAIT_MS);
  shadow.append(stylesheet, ui.root);
  document.body.append(host);

  let online = false;
  let typingTimer = null;
  let statusTimer = null;
  let handoff = START;

  // Panel ---------------------------------------------------------------
  function setUnread(unread) {
    ui.unread.hidden = !unread;
    ui.badge.hidden = !unread;
  }

  function isOpen() {
    return !ui.panel.hidden;
  }

  function open({ focus }) {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.root.classList.add("caw-open");
    setUnread(false);
    session.set(OPEN_KEY, "1");
    scrollToEnd();
    if (focus) ui.input.focus();
  }

  function close() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.root.classList.remove("caw-open");
    session.set(OPEN_KEY, "0");
    ui.launcher.focus();
  }

  ui.launcher.addEventListener("click", () => (isOpen() ? close() : open({ focus: true })));
  ui.close.addEventListener("click", close);
  ui.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  // Log -------------------------------------------------------------------
  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function append(message, buttonsEnabled, live = false) {
    if (!message.text && !message.source && !message.buttons.length) return;
    ui.list.append(renderMessage(message, { onButton: sendButton, buttonsEnabled, live }));
    ui.empty.hidden = true;
    scrollToEnd();
  }

  // Staff ---------------------------------------------------------------------
  // The header says who the patient talks to; "Talk to staff" is offered only
  // while nobody is asked, and while waiting, the wait's controls stay usable.
  function showHandoff(state) {
    const focused = shadow.activeElement;
    handoff = state;
    ui.who.textContent = whoText(state);
    ui.staffButton.hidden = !assistantAnswers(state);
    ui.actions.hidden = state.mode === WITH_STAFF;
    ui.waiting.hidden = state.mode !== WAITING;
    ui.waiting.querySelectorAll(".caw-control").forEach((control) => control.remove());
    if (state.mode === WAITING) {
      for (const button of state.controls) ui.waiting.append(renderControl(button, sendButton));
    }
    setOnline(online);
    // A keyboard user on a control that just went away goes on from the one in its place.
    if (focused && ui.actions.contains(focused) && !(focused.isConnected && focused.getClientRects().length)) {
      const next = [ui.staffButton, ...ui.waiting.querySelectorAll(".caw-control")].find((c) => c.getClientRects().length);
      (next || ui.input).focus();
    }
  }

  function showHistory(payload) {
    // The whole log is replaced (also after a reconnect). Live announcements
    // are off meanwhile, so a screen reader doesn't read the history aloud.
    ui.log.setAttribute("aria-live", "off");
    ui.list.replaceChildren();
    ui.empty.hidden = false;
    let state = START;
    for (const message of fromHistory(payload)) {
      append(message, false);
      state = afterMessage(state, message);
    }
    showHandoff(state);
    requestAnimationFrame(() => ui.log.setAttribute("aria-live", "polite"));
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    ui.typing.hidden = !on;
    if (on) {
      typingTimer = setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
      scrollToEnd();
    }
  }

  // Connection status -------------------------------------------------------
  function setStatus(text, kind) {
    clearTimeout(statusTimer);
    // The status line takes room from the log: keep its end in view if it was.
    const atEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 4;
    ui.status.textContent = text;
    ui.status.className = `caw-status${kind ? ` caw-status--${kind}` : ""}`;
    if (atEnd) scrollToEnd();
  }

  function setOnline(value) {
    online = value;
    // aria-disabled rather than disabled: the controls keep keyboard focus.
    ui.input.readOnly = !value;
    for (const control of [ui.input, ui.send, ui.staffButton, ...ui.waiting.querySelectorAll(".caw-control")]) {
      control.setAttribute("aria-disabled", String(!value));
    }
  }

  // Sending -----------------------------------------------------------------
  function showHint(text) {
    ui.hint.textContent = text;
  }

  function send(payload, shownText) {
    if (!online || !connection.send(payload)) {
      showHint("Not sent: the chat is offline. It reconnects by itself; please try again in a moment.");
      return false;
    }
    disableReplies(ui.list);
    append(fromPatient(shownText), false);
    // While staff have the chat the assistant stays quiet: no "typing" then.
    setTyping(assistantAnswers(handoff));
    return true;
  }

  function sendButton(button) {
    send(button.payload, button.title);
  }

  function checkLength() {
    const length = ui.input.value.length;
    const tooLong = length > MAX_LENGTH;
    ui.input.setAttribute("aria-invalid", String(tooLong));
    showHint(tooLong ? `Please keep your message to ${MAX_LENGTH} characters (it has ${length}).` : "");
    return !tooLong;
  }

  function submit() {
    const text = ui.input.value.trim();
    if (!text || !checkLength()) return;
    if (send(text, text)) ui.input.value = "";
  }

  ui.input.addEventListener("input", checkLength);
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  ui.staffButton.addEventListener("click", () => send(TALK_TO_STAFF.payload, TALK_TO_STAFF.title));

  // Server events -------------------------------------------------------------
  setStatus("Connecting…");
  setOnline(false);
  const connection = openConnection(socketUrl, local, {
    onReady({ reconnected }) {
      setOnline(true);
      showHint("");
      if (reconnected) {
        setStatus("Back online", "online");
        statusTimer = setTimeout(() => setStatus(""), BACK_ONLINE_SHOWN_MS);
      } else {
        setStatus("");
      }
    },
    onHistory: showHistory,
    onBotMessage(payload) {
      setTyping(false);
      const message = fromServer(payload);
      append(message, true, true);
      showHandoff(afterMessage(handoff, message));
      if (!isOpen()) setUnread(true);
    },
    onOffline() {
      if (!online && ui.status.textContent === "Offline — reconnecting…") return;
      setOnline(false);
      setStatus("Offline — reconnecting…", "offline");
    },
  });

  if (session.get(OPEN_KEY) === "1") open({ focus: false });
}

function init() {
  if (document.querySelector(HOST_TAG)) return; // the snippet was pasted twice
  const script = document.currentScript || document.querySelector("script[data-socket-url][src*='widget.js']");
  if (!script) return;
  if (document.body) start(script);
  else document.addEventListener("DOMContentLoaded", () => start(script), { once: true });
}

init();
