// The widget's fixed DOM: launcher, dialog (its header says who the patient
// talks to), notice, status, log, typing indicator, talk-to-staff button or
// the wait for staff, and message form. Returns the parts the
// wiring in widget.js needs. IDs are scoped to the widget's shadow root.

const TITLE = "Chat with our assistant";

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== undefined) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function chatIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "caw-icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  svg.append(path);
  return svg;
}

export function emergencyNotice(number) {
  const call = number ? `${number} (or your local emergency number)` : "your local emergency number";
  return `Automated assistant, not medical advice. In an emergency call ${call}.`;
}

export function buildPanel({ emergencyNumber, maxLength }) {
  const unread = element("span", { class: "caw-visually-hidden", text: " (new message)", hidden: true });
  const badge = element("span", { class: "caw-badge", "aria-hidden": "true", hidden: true });
  const launcher = element(
    "button",
    { type: "button", class: "caw-launcher", "aria-expanded": "false", "aria-controls": "caw-panel" },
    chatIcon(),
    element("span", { class: "caw-launcher-text", text: TITLE }),
    unread,
    badge,
  );

  const close = element("button", { type: "button", class: "caw-close", "aria-label": "Close chat" },
    element("span", { "aria-hidden": "true", text: "×" }));
  const status = element("p", { class: "caw-status", role: "status" });
  const empty = element("p", { class: "caw-empty", text: "Ask us a question about our treatments." });
  const list = element("ol", { class: "caw-messages" });
  const log = element("div", { class: "caw-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" }, empty, list);
  const typing = element("div", { class: "caw-typing", hidden: true },
    element("span", { class: "caw-visually-hidden", text: "Assistant is typing" }),
    element("span", { class: "caw-dots", "aria-hidden": "true" }, element("span"), element("span"), element("span")));
  const staffButton = element("button", { type: "button", class: "caw-staff", text: "Talk to staff" });
  // While the patient waits for staff: what happens, and the controls that stay usable.
  const waiting = element("div", { class: "caw-waiting", hidden: true },
    element("p", { class: "caw-waiting-text", text: "Waiting for clinic staff. Your messages are passed on to them." }));
  const who = element("p", { class: "caw-who", text: "Automated assistant" });
  const actions = element("div", { class: "caw-actions" }, staffButton, waiting);

  const hint = element("p", { id: "caw-hint", class: "caw-hint", "aria-live": "polite" });
  const input = element("textarea", {
    id: "caw-input", class: "caw-input", rows: "2", autocomplete: "off",
    "aria-describedby": "caw-hint caw-keys",
  });
  const send = element("button", { type: "submit", class: "caw-send", text: "Send" });
  const form = element("form", { class: "caw-form", novalidate: true },
    element("label", { for: "caw-input", class: "caw-label", text: "Your message" }),
    element("div", { class: "caw-compose" }, input, send),
    element("p", { id: "caw-keys", class: "caw-visually-hidden", text: `Enter sends, Shift+Enter starts a new line. Up to ${maxLength} characters.` }),
    hint);

  const panel = element("div", { id: "caw-panel", class: "caw-panel", role: "dialog", "aria-label": TITLE, hidden: true },
    element("div", { class: "caw-header" },
      element("div", { class: "caw-heading" }, element("h2", { class: "caw-title", text: TITLE }), who), close),
    element("p", { class: "caw-notice", text: emergencyNotice(emergencyNumber) }),
    status,
    log,
    typing,
    actions,
    form);

  const root = element("div", { class: "caw-root" }, panel, launcher);
  return { root, launcher, unread, badge, panel, close, who, status, log, empty, list, typing, actions, staffButton, waiting, form, input, send, hint };
}
