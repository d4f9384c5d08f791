// Where the chat stands with the clinic's staff, from the handoff marks the
// server puts in messages' metadata (clinic/rasa_api.py, domain/handoff.yml):
// "waiting" (in the staff queue), "joined" (a staff member claimed the chat),
// "ended" (the assistant is back). Replayed from the history after a reload.

export const ASSISTANT = "assistant";
export const WAITING = "waiting";
export const WITH_STAFF = "staff";

export const START = Object.freeze({ mode: ASSISTANT, staffName: "", controls: [] });

/** The state after a message: {mode, staffName, controls (the buttons kept while waiting)}. */
export function afterMessage(state, message) {
  switch (message.handoff) {
    case "waiting":
      return { mode: WAITING, staffName: "", controls: message.controls.length ? message.controls : state.controls };
    case "joined":
      return { mode: WITH_STAFF, staffName: message.staffName, controls: [] };
    case "ended":
      return START;
    default:
      return state;
  }
}

/** Who the patient is talking to, for the panel's header. */
export function whoText(state) {
  if (state.mode === WAITING) return "Waiting for clinic staff";
  if (state.mode === WITH_STAFF) return state.staffName ? `Chatting with ${state.staffName}, clinic staff` : "Chatting with clinic staff";
  return "Automated assistant";
}

/** Whether the assistant answers what the patient sends (it stays quiet while staff have the chat). */
export function assistantAnswers(state) {
  return state.mode === ASSISTANT;
}
