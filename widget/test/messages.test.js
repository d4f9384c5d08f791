import assert from "node:assert/strict";
import { test } from "node:test";

import { linkTokens } from "../src/linkify.js";
import { fromHistory, fromServer, sessionIdOf, sessionTokenOf } from "../src/messages.js";

// As actions/answers.py sends it: the page, its sections, the document's version and review date.
const SOURCE = 'Source: the clinic\'s Prolotherapy page, "How Long Does It Take" (version 1, reviewed 26 Nov 2026).';

test("a source at the end of the text becomes a caption", () => {
  const message = fromServer({ text: `Each session takes about 15 to 30 minutes.\n\n${SOURCE}`, metadata: { source: SOURCE } });
  assert.equal(message.text, "Each session takes about 15 to 30 minutes.");
  assert.equal(message.source, SOURCE);
  assert.equal(message.sender, "assistant");
});

test("the caption keeps the document's version and review date, as plain text", () => {
  const metadata = { source: SOURCE, sections: ["How Long Does It Take"], version: 1, reviewed: "2026-11-26" };
  const message = fromServer({ text: `About 15 to 30 minutes.\n\n${SOURCE}`, metadata });
  assert.equal(message.source, SOURCE);
  assert.match(message.source, /\(version 1, reviewed 26 Nov 2026\)\.$/);
  // The date is not taken for a phone number.
  assert.deepEqual(linkTokens(message.source), [{ type: "text", text: SOURCE }]);
});

test("a source already inside the text is not shown twice", () => {
  const message = fromServer({ text: `${SOURCE} More text.`, metadata: { source: SOURCE } });
  assert.equal(message.text, `${SOURCE} More text.`);
  assert.equal(message.source, "");
});

test("staff messages are marked with the staff member's name", () => {
  const message = fromServer({ text: "Hello, this is Jane.", metadata: { from: "clinic_staff", staff_name: "Nurse Jane" } });
  assert.equal(message.sender, "staff");
  assert.equal(message.staffName, "Nurse Jane");
});

test("buttons and Rasa's quick_replies are both read", () => {
  const buttons = [{ title: "Yes", payload: "/affirm" }];
  assert.deepEqual(fromServer({ text: "OK?", buttons }).buttons, buttons);
  assert.deepEqual(fromServer({ text: "OK?", quick_replies: [{ content_type: "text", ...buttons[0] }] }).buttons, buttons);
});

test("non-string fields are ignored, not shown", () => {
  const message = fromServer({ text: { html: "<b>x</b>" }, metadata: "nope", buttons: [null, { title: 3 }] });
  assert.deepEqual(message, { sender: "assistant", text: "", buttons: [], source: "", staffName: "", emergency: null, handoff: "", controls: [] });
});

const GUIDANCE = "This may be an emergency. Please call 911 now, or go to the nearest emergency department.";

test("the emergency guidance is marked, with a tap-to-call link to the clinic's emergency number", () => {
  const message = fromServer({ text: GUIDANCE, metadata: { utter_action: "utter_emergency", emergency_number: "911" } });
  assert.deepEqual(message.emergency, { number: "911", href: "tel:911" });
  assert.equal(message.text, GUIDANCE);
  assert.deepEqual(fromServer({ text: GUIDANCE, metadata: { utter_action: "utter_emergency", emergency_number: "+44 999" } }).emergency,
    { number: "+44 999", href: "tel:+44999" });
});

test("without an emergency number the guidance is still marked, but has no link", () => {
  const text = "This may be an emergency. Please call your local emergency number now.";
  assert.deepEqual(fromServer({ text, metadata: { utter_action: "utter_emergency" } }).emergency, { number: "", href: null });
  // Nothing but digits is dialled.
  assert.deepEqual(fromServer({ text, metadata: { utter_action: "utter_emergency", emergency_number: "javascript:alert(1)" } }).emergency,
    { number: "javascript:alert(1)", href: null });
});

test("other messages, and staff messages, are not the emergency guidance", () => {
  assert.equal(fromServer({ text: "About 15 to 30 minutes.", metadata: { utter_action: "utter_answer" } }).emergency, null);
  assert.equal(fromServer({ text: "Call 911", metadata: { from: "clinic_staff", utter_action: "utter_emergency" } }).emergency, null);
});

test("the history shows the emergency guidance as it was shown live", () => {
  const [guidance] = fromHistory({ messages: [
    { sender: "assistant", text: GUIDANCE, metadata: { utter_action: "utter_emergency", emergency_number: "911" }, timestamp: 1 },
  ] });
  assert.deepEqual(guidance.emergency, { number: "911", href: "tel:911" });
});

test("history shows a clicked button's title instead of its payload", () => {
  const messages = fromHistory({
    messages: [
      { sender: "assistant", text: "Did you mean?", buttons: [{ title: "How long it takes", payload: "/ask_duration" }], timestamp: 1 },
      { sender: "patient", text: "/ask_duration", timestamp: 2 },
      { sender: "patient", text: "/request_human", timestamp: 3 },
      { sender: "staff", text: "Hi", metadata: { staff_name: "Sam" }, timestamp: 4 },
      "garbage",
    ],
  });
  assert.deepEqual(messages.map((m) => [m.sender, m.text]), [
    ["assistant", "Did you mean?"],
    ["patient", "How long it takes"],
    ["patient", "I'd like to talk to a person"],
    ["staff", "Hi"],
  ]);
  assert.equal(messages[3].staffName, "Sam");
});

test("session_confirm carries the id as a string or as {session_id}", () => {
  assert.equal(sessionIdOf("abc"), "abc");
  assert.equal(sessionIdOf({ session_id: "abc" }), "abc");
  assert.equal(sessionIdOf({}), null);
  assert.equal(sessionIdOf(null), null);
});

test("session_confirm's token is kept only when it is a text", () => {
  assert.equal(sessionTokenOf({ session_id: "abc", token: "f00d" }), "f00d");
  assert.equal(sessionTokenOf({ session_id: "abc", token: 5 }), null);
  assert.equal(sessionTokenOf("abc"), null);
  assert.equal(sessionTokenOf(null), null);
});

// As domain/handoff.yml and clinic/rasa_api.py mark them.
const WAITING_MESSAGE = {
  text: "A member of the clinic's staff will join this chat. To go back to the automated assistant, say \"never mind\".",
  buttons: [{ title: "Never mind, back to the assistant", payload: "/cancel_staff_request" }],
  metadata: { handoff: "waiting", utter_action: "utter_staff_will_join" },
};

test("a waiting message keeps its buttons as controls for the whole wait, not as one-off replies", () => {
  const message = fromServer(WAITING_MESSAGE);
  assert.equal(message.handoff, "waiting");
  assert.deepEqual(message.buttons, []);
  assert.deepEqual(message.controls, WAITING_MESSAGE.buttons);
});

test("staff joining is a notice with the staff member's name, not their message", () => {
  const message = fromServer({ text: "Nurse Jane joined the chat.", metadata: { from: "clinic_staff", staff_name: "Nurse Jane", handoff: "joined" } });
  assert.equal(message.sender, "notice");
  assert.equal(message.staffName, "Nurse Jane");
});

test("an unknown handoff mark is ignored", () => {
  assert.equal(fromServer({ text: "Hi", metadata: { handoff: "<b>x</b>" } }).handoff, "");
  assert.equal(fromServer({ text: "Hi", metadata: { handoff: 3 } }).handoff, "");
});

test("history shows a clicked waiting control's title instead of its payload", () => {
  const messages = fromHistory({ messages: [{ sender: "assistant", ...WAITING_MESSAGE }, { sender: "patient", text: "/cancel_staff_request" }] });
  assert.equal(messages[1].text, "Never mind, back to the assistant");
});
