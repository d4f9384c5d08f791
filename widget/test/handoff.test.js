import assert from "node:assert/strict";
import { test } from "node:test";

import { ASSISTANT, START, WAITING, WITH_STAFF, afterMessage, assistantAnswers, whoText } from "../src/handoff.js";
import { fromHistory } from "../src/messages.js";

const CANCEL = { title: "Never mind, back to the assistant", payload: "/cancel_staff_request" };

function replay(entries) {
  return fromHistory({ messages: entries }).reduce(afterMessage, START);
}

const waiting = { sender: "assistant", text: "Staff will join.", buttons: [CANCEL], metadata: { handoff: "waiting" } };
const joined = { sender: "staff", text: "Nurse Jane joined the chat.", metadata: { from: "clinic_staff", staff_name: "Nurse Jane", handoff: "joined" } };
const handedBack = { sender: "assistant", text: "The staff member has left the chat.", metadata: { handoff: "ended" } };

test("the assistant answers until the patient waits for staff", () => {
  assert.equal(whoText(START), "Automated assistant");
  assert.equal(assistantAnswers(START), true);
  const state = replay([{ sender: "patient", text: "/request_human" }, waiting, { sender: "patient", text: "hello?" }]);
  assert.equal(state.mode, WAITING);
  assert.equal(assistantAnswers(state), false);
  assert.deepEqual(state.controls, [CANCEL]);
  assert.equal(whoText(state), "Waiting for clinic staff");
});

test("a staff member joining names them in the header, until they hand back", () => {
  const withJane = replay([waiting, joined, { sender: "staff", text: "Hi", metadata: { from: "clinic_staff", staff_name: "Nurse Jane" } }]);
  assert.equal(withJane.mode, WITH_STAFF);
  assert.equal(whoText(withJane), "Chatting with Nurse Jane, clinic staff");
  assert.equal(assistantAnswers(withJane), false);
  assert.equal(replay([waiting, joined, handedBack]).mode, ASSISTANT);
});

test("an emergency answer while waiting doesn't end the wait", () => {
  const state = replay([waiting, { sender: "assistant", text: "Call 911 now.", metadata: { utter_action: "utter_emergency" } }]);
  assert.equal(state.mode, WAITING);
  assert.deepEqual(state.controls, [CANCEL]);
});
