// A conversation's transcript, live (templates/staff/conversation.html,
// webapp/console_conversations.py): asks the staff API every 2 seconds for the
// messages after the last one shown and for the handoff events, puts each in
// its place in time, and says in the polite status line how many are new.
import { announce, count, fill, fromTemplate, keepPolling } from './live.js';

const transcript = document.getElementById('transcript');

const shownEventIds = () => [...transcript.querySelectorAll('[data-event-id]')]
  .map((entry) => Number(entry.dataset.eventId));

function place(entry) {
  const at = Date.parse(entry.dataset.at);
  const later = [...transcript.children].find((other) => Date.parse(other.dataset.at) > at);
  transcript.insertBefore(entry, later || null);
}

function atTheEnd() {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 40;
}

function render(answer) {
  const following = atTheEnd();
  const known = new Set(shownEventIds());
  const added = [];
  let events = 0;
  for (const message of answer.messages) {
    if (known.has(message.event_id)) continue;
    const entry = fromTemplate('message-template');
    entry.className = `entry entry--${message.sender}`;
    entry.dataset.eventId = String(message.event_id);
    entry.dataset.at = message.at;
    fill(entry, message, message.at);
    place(entry);
    added.push(entry);
  }
  for (const event of answer.handoff_events) {
    const key = `${event.id}-${event.kind}`;
    let entry = [...transcript.querySelectorAll('[data-key]')].find((e) => e.dataset.key === key);
    if (!entry) {
      entry = fromTemplate('handoff-template');
      entry.dataset.key = key;
      entry.dataset.at = event.at;
      place(entry);
      added.push(entry);
      events += 1;
    }
    fill(entry, event, event.at);
  }
  fill(document.querySelector('.summary'), answer.conversation);
  if (added.length) {
    const news = [];
    if (added.length > events) news.push(count(added.length - events, 'new message', 'new messages'));
    if (events) news.push(count(events, 'handoff event', 'handoff events'));
    announce(`${news.join(', ')}.`);
    if (following) transcript.lastElementChild.scrollIntoView({ block: 'end' });
  }
}

const after = () => Math.max(0, ...shownEventIds());
if (transcript) keepPolling(() => `${transcript.dataset.apiUrl}?after=${after()}`, render);
