// A conversation's transcript, live (templates/staff/conversation.html,
// webapp/console_conversations.py): asks the staff API every 2 seconds for the
// messages after the last one shown and for the handoff events, puts each in
// its place in time (conversation_view.js), and says in the polite status line
// how many are new.
import { ConversationView } from './conversation_view.js';
import { announce, count, fill, keepPolling } from './live.js';

const transcript = document.getElementById('transcript');

function atTheEnd() {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 40;
}

if (transcript) {
  const view = new ConversationView(transcript);
  keepPolling(() => `${transcript.dataset.apiUrl}?after=${view.after()}`, (answer) => {
    const following = atTheEnd();
    const { messages, events } = view.render(answer);
    fill(document.querySelector('.summary'), answer.conversation);
    if (messages.length || events) {
      const news = [];
      if (messages.length) news.push(count(messages.length, 'new message', 'new messages'));
      if (events) news.push(count(events, 'handoff event', 'handoff events'));
      announce(`${news.join(', ')}.`);
      if (following) transcript.lastElementChild.scrollIntoView({ block: 'end' });
    }
  });
}
