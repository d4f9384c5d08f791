// The conversation list, live (templates/staff/conversations.html,
// webapp/console_conversations.py): asks the staff API for the same page of
// the list every 2 seconds and updates the table in place, saying in the
// polite status line how many conversations are new or have new messages.
import { announce, count, fill, fromTemplate, keepPolling } from './live.js';

const table = document.getElementById('conversations');

function showConversation(row, conversation) {
  fill(row, conversation);
  row.dataset.senderId = conversation.sender_id;
  row.dataset.lastEventId = String(conversation.last_event_id);
  row.querySelector('[data-field="link"]').href = conversation.url;
}

function render(listing) {
  const body = table.tBodies[0];
  const rows = new Map([...body.rows].map((row) => [row.dataset.senderId, row]));
  let added = 0;
  let updated = 0;
  listing.conversations.forEach((conversation, index) => {
    let row = rows.get(conversation.sender_id);
    if (!row) {
      added += 1;
      row = fromTemplate('conversation-row');
    } else if (row.dataset.lastEventId !== String(conversation.last_event_id)) {
      updated += 1;
    }
    rows.delete(conversation.sender_id);
    showConversation(row, conversation);
    // Move only rows out of place: a moved link would lose the keyboard's focus.
    if (body.rows[index] !== row) body.insertBefore(row, body.rows[index] || null);
  });
  for (const gone of rows.values()) gone.remove();

  document.getElementById('no-conversations').hidden = listing.conversations.length > 0;
  const next = document.getElementById('next-page');
  next.hidden = !listing.next_url;
  if (listing.next_url) next.querySelector('a').href = listing.next_url;

  const news = [];
  if (added) news.push(count(added, 'new conversation', 'new conversations'));
  if (updated) news.push(`${count(updated, 'conversation', 'conversations')} with new messages`);
  if (news.length) announce(`${news.join(', ')}.`);
}

if (table) keepPolling(() => table.dataset.apiUrl, render);
