// Builds the DOM of one message. Every piece of text goes in with textContent
// (or a text node): nothing from the server or the patient is parsed as HTML.
import { linkTokens } from "./linkify.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function visuallyHidden(text) {
  return element("span", "caw-visually-hidden", text);
}

/** Message text with its http(s) URLs and phone numbers as links. */
export function linkedText(text) {
  const fragment = document.createDocumentFragment();
  for (const token of linkTokens(text)) {
    if (token.type !== "link") {
      fragment.append(document.createTextNode(token.text));
      continue;
    }
    const link = element("a", "caw-link", token.text);
    link.href = token.href;
    if (token.external) {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
    fragment.append(link);
  }
  return fragment;
}

function paragraphs(text) {
  const body = element("div", "caw-text");
  for (const part of text.split(/\n{2,}/)) {
    if (!part.trim()) continue;
    const paragraph = element("p");
    paragraph.append(linkedText(part));
    body.append(paragraph);
  }
  return body;
}

function senderLabel(message) {
  if (message.sender === "patient") return [visuallyHidden("You said: ")];
  if (message.sender === "assistant") return [visuallyHidden("Assistant: ")];
  const name = message.staffName;
  const visible = element("span", "caw-staff-label", name ? `Clinic staff · ${name}` : "Clinic staff");
  // The visible label is for sighted readers; screen readers get a sentence.
  visible.setAttribute("aria-hidden", "true");
  return [visuallyHidden(name ? `Clinic staff, ${name}: ` : "Clinic staff: "), visible];
}

/**
 * The emergency guidance stands out: a heading, and a tap-to-call link when
 * the clinic set its emergency number (else the text names "your local
 * emergency number", and there is no link).
 */
function emergencyParts(emergency) {
  const title = element("p", "caw-emergency-title");
  const icon = element("span", "caw-emergency-icon", "!");
  icon.setAttribute("aria-hidden", "true");
  title.append(icon, document.createTextNode("Possible emergency"));
  const parts = { before: [title], after: [] };
  if (emergency.href) {
    const call = element("a", "caw-call", `Call ${emergency.number}`);
    call.href = emergency.href;
    parts.after.push(call);
  }
  return parts;
}

/**
 * One message as a list item. onButton(button) is called when one of its
 * buttons is used; buttonsEnabled false shows them disabled (history). A new
 * emergency guidance (live) is an alert for screen readers; in the history it
 * looks the same but isn't read out again.
 */
export function renderMessage(message, { onButton, buttonsEnabled, live = false }) {
  const item = element("li", `caw-message caw-message--${message.sender}`);
  if (message.sender === "notice") {
    // Something that happened in the chat ("Nurse Jane joined the chat."), not a message.
    item.append(element("p", "caw-notice-text", message.text));
    return item;
  }
  const bubble = element("div", "caw-bubble");
  const emergency = message.emergency ? emergencyParts(message.emergency) : null;
  if (emergency) {
    item.classList.add("caw-message--emergency");
    if (live) bubble.setAttribute("role", "alert");
  }
  bubble.append(...senderLabel(message));
  if (emergency) bubble.append(...emergency.before);
  if (message.text) bubble.append(paragraphs(message.text));
  if (emergency) bubble.append(...emergency.after);
  if (message.source) {
    const caption = element("p", "caw-source");
    caption.append(linkedText(message.source.startsWith("Source:") ? message.source : `Source: ${message.source}`));
    bubble.append(caption);
  }
  item.append(bubble);

  if (message.buttons.length) {
    const group = element("div", "caw-buttons");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    for (const button of message.buttons) {
      const control = element("button", "caw-reply", button.title);
      control.type = "button";
      control.disabled = !buttonsEnabled;
      control.addEventListener("click", () => onButton(button));
      group.append(control);
    }
    item.append(group);
  }
  return item;
}

/** Disables every suggested-reply button in a container. */
export function disableReplies(container) {
  for (const button of container.querySelectorAll(".caw-reply")) button.disabled = true;
}

/** A button kept in view while it applies (e.g. cancelling a request for staff). */
export function renderControl(button, onButton) {
  const control = element("button", "caw-control", button.title);
  control.type = "button";
  control.addEventListener("click", () => onButton(button));
  return control;
}
