// A conversation's messages and handoff events as an <ol> of entries (the
// markup of templates/staff/conversation_macros.html): the transcript page
// (transcript.js) and each request of the handoff queue (handoffs.js) show
// them the same way. Text from the server only reaches the page as textContent.
import { fill, fromTemplate } from './live.js';

export class ConversationView {
  constructor(list) {
    this.list = list;
  }

  /** The highest event id shown: ask the staff API for the messages after it. */
  after() {
    return Math.max(0, ...[...this.list.querySelectorAll('[data-event-id]')]
      .map((entry) => Number(entry.dataset.eventId)));
  }

  /** Add what the transcript API answered and isn't shown yet, each entry in
   *  its place in time; returns the new message entries and the number of new
   *  handoff events. */
  render(answer) {
    const known = new Set([...this.list.querySelectorAll('[data-event-id]')]
      .map((entry) => Number(entry.dataset.eventId)));
    const messages = [];
    let events = 0;
    for (const message of answer.messages) {
      if (known.has(message.event_id)) continue;
      const entry = fromTemplate('message-template');
      entry.className = `entry entry--${message.sender}`;
      entry.dataset.eventId = String(message.event_id);
      entry.dataset.at = message.at;
      if (message.form_slot) entry.dataset.formAnswer = message.form_slot;
      fill(entry, message, message.at);
      this.place(entry);
      messages.push(entry);
    }
    for (const event of answer.handoff_events) {
      const key = `${event.id}-${event.kind}`;
      let entry = [...this.list.querySelectorAll('[data-key]')].find((e) => e.dataset.key === key);
      if (!entry) {
        entry = fromTemplate('handoff-template');
        entry.dataset.key = key;
        entry.dataset.at = event.at;
        this.place(entry);
        events += 1;
      }
      fill(entry, event, event.at);
    }
    return { messages, events };
  }

  place(entry) {
    const at = Date.parse(entry.dataset.at);
    const later = [...this.list.children].find((other) => Date.parse(other.dataset.at) > at);
    this.list.insertBefore(entry, later || null);
  }
}
