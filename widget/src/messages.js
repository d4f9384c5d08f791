// Turns the server's payloads (bot_uttered, chat_history) into the messages
// the widget shows: {sender, text, buttons, source, staffName, emergency,
// handoff, controls}.
// A message that says the patient waits for staff keeps its buttons as
// `controls`, shown for as long as the wait lasts instead of once; one that
// says staff joined is a notice, not a staff member's message.

export const STAFF = "clinic_staff"; // metadata.from of a staff member's message
// metadata.utter_action of the emergency guidance, however it was sent
// (clinic/emergency.py); metadata.emergency_number is the number to call.
export const EMERGENCY_RESPONSE = "utter_emergency";
const DIALLABLE = /^\+?\d{2,15}$/;
export const TALK_TO_STAFF = { title: "I'd like to talk to a person", payload: "/request_human" };
const HANDOFF_MARKS = new Set(["waiting", "joined", "ended"]);

function text(value) {
  return typeof value === "string" ? value : "";
}

// Rasa's own socket.io output sends buttons as "quick_replies"; accept both.
function buttonsOf(payload) {
  const list = Array.isArray(payload.buttons) ? payload.buttons : payload.quick_replies;
  if (!Array.isArray(list)) return [];
  return list
    .filter((button) => button && (text(button.title) || text(button.payload)))
    .map((button) => ({ title: text(button.title) || text(button.payload), payload: text(button.payload) || text(button.title) }));
}

function withSource(body, source) {
  if (!source) return { text: body, source: "" };
  const trimmed = body.trimEnd();
  if (trimmed.endsWith(source)) return { text: trimmed.slice(0, -source.length).trimEnd(), source };
  return { text: body, source: body.includes(source) ? "" : source };
}

/**
 * The emergency guidance's call link: {number, href} (href null when the
 * number can't be dialled), or null for any other message.
 */
function emergencyOf(metadata, isStaff) {
  if (isStaff || metadata.utter_action !== EMERGENCY_RESPONSE) return null;
  const number = text(metadata.emergency_number).trim();
  const dialled = number.replace(/[\s-]/g, "");
  return { number, href: DIALLABLE.test(dialled) ? `tel:${dialled}` : null };
}

/** A bot_uttered payload, or an assistant/staff entry of chat_history. */
export function fromServer(payload, sender) {
  const metadata = payload.metadata && typeof payload.metadata === "object" ? payload.metadata : {};
  const isStaff = sender === "staff" || metadata.from === STAFF;
  const { text: body, source } = withSource(text(payload.text), text(metadata.source).trim());
  const handoff = HANDOFF_MARKS.has(metadata.handoff) ? metadata.handoff : "";
  const buttons = buttonsOf(payload);
  const waiting = handoff === "waiting";
  return {
    sender: handoff === "joined" ? "notice" : isStaff ? "staff" : "assistant",
    text: body,
    buttons: waiting ? [] : buttons,
    source,
    staffName: isStaff ? text(metadata.staff_name).trim() : "",
    emergency: emergencyOf(metadata, isStaff),
    handoff,
    controls: waiting ? buttons : [],
  };
}

export function fromPatient(body) {
  return {
    sender: "patient", text: body, buttons: [], source: "", staffName: "",
    emergency: null, handoff: "", controls: [],
  };
}

/** The messages of a chat_history payload, in order. */
export function fromHistory(payload) {
  const entries = payload && Array.isArray(payload.messages) ? payload.messages : [];
  // The server stores a button's payload as the patient's text: show the
  // button's title instead, as when it was clicked.
  const titles = new Map([[TALK_TO_STAFF.payload, TALK_TO_STAFF.title]]);
  const messages = [];
  for (const entry of entries) {
    if (!entry || typeof entry !== "object") continue;
    if (entry.sender === "patient") {
      const said = text(entry.text);
      messages.push(fromPatient(titles.get(said) ?? said));
    } else {
      const message = fromServer(entry, entry.sender);
      for (const button of [...message.buttons, ...message.controls]) titles.set(button.payload, button.title);
      messages.push(message);
    }
  }
  return messages;
}

/** The session id of a session_confirm payload: a string or {session_id}. */
export function sessionIdOf(payload) {
  const id = payload && typeof payload === "object" ? payload.session_id : payload;
  return typeof id === "string" && id ? id : null;
}

/** The token the server issued with the session (needed to resume it), or null. */
export function sessionTokenOf(payload) {
  const token = payload && typeof payload === "object" ? payload.token : null;
  return typeof token === "string" && token ? token : null;
}
