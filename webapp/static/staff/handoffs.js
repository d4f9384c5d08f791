// The handoff queue, live (templates/staff/handoffs.html, webapp/console_handoffs.py):
// the nurse's one view of the patients waiting for staff.
//
// Asks the staff API for the queue every 2 seconds (live.js), also while the tab
// is hidden, and updates the page in place; then each request's conversation
// (its messages after the last one shown, conversation_view.js), marking the
// patient's messages this nurse hasn't read yet (read: once she claims, clicks
// or types in the request, or replies; remembered in this browser per request,
// by event id only). Sends the queue's forms (claim, reply, hand back) to the
// staff API with the session's CSRF token. When a request arrives or becomes
// urgent, or a patient writes in a conversation she claimed, it tells her: a
// banner (role="alert") for urgent ones; once she has turned them on, a short
// sound made with the Web Audio API and, while the tab is hidden, a desktop
// notification (without the patient's words). When the session ends (after 15
// minutes without activity, too), the queue and its alerts stop. Patient text
// only ever reaches the page as textContent.
import { ConversationView } from './conversation_view.js';
import { askQuietly, count as counted, keepPolling } from './live.js';

const SOUND_KEY = 'clinic-staff-sound-alerts';
const READ_KEY = 'clinic-staff-read-'; // + request id: the last patient's event id read
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const queue = document.getElementById('queue');
const me = Number(queue.dataset.staffId);
const template = document.getElementById('request-template');
const heading = document.getElementById('queue-title');
const count = document.getElementById('queue-count');
const empty = document.getElementById('queue-empty');
const alertBox = document.getElementById('urgent-alert');
const news = document.getElementById('queue-news');
const soundToggle = document.getElementById('sound-toggle');
const notifyToggle = document.getElementById('notify-toggle');
const notifyState = document.getElementById('notify-state');
const pageTitle = document.title;

let seen = null; // request id -> urgent, as of the last answer (null before the first)
const acknowledged = new Set(); // urgent requests whose alert this nurse dismissed or claimed
let alertShown = '';
let clockOffset = 0; // the server's clock minus this computer's, from the Date header
const views = new WeakMap(); // row -> its ConversationView

const field = (row, name) => row.querySelector(`[data-field="${name}"]`);
const part = (row, name) => row.querySelector(`[data-part="${name}"]`);
const isMine = (request) => request.status === 'claimed' && request.claimed_by_id === me;
const rowOf = (id) => document.getElementById(`request-${id}`);

// ---- Rendering ----

function newRow(id) {
  const row = template.content.firstElementChild.cloneNode(true);
  for (const element of [row, ...row.querySelectorAll('*')]) {
    for (const name of ['id', 'for', 'action', 'aria-describedby', 'aria-labelledby', 'data-request-id']) {
      const value = element.getAttribute(name);
      if (value && value.includes('{id}')) element.setAttribute(name, value.replaceAll('{id}', id));
    }
  }
  return row;
}

function fill(row, request) {
  row.classList.toggle('request--urgent', request.urgent);
  field(row, 'badge').hidden = !request.urgent;
  field(row, 'reason').textContent = request.reason;
  // As console_conversations.transcript_url and messages_api_url make them.
  const transcriptPath = `/staff/conversations/${encodeURIComponent(request.conversation_id)}`;
  field(row, 'transcript').href = transcriptPath;
  field(row, 'conversation').dataset.apiUrl = `/api${transcriptPath}/messages`;
  row.dataset.createdAt = request.created_at;
  const waiting = field(row, 'waiting');
  waiting.dataset.since = request.created_at;
  waiting.dataset.until = request.claimed_at || '';
  field(row, 'status').textContent = request.status === 'waiting' ? 'Waiting for staff'
    : isMine(request) ? 'Claimed by you' : `Claimed by ${request.claimed_by}`;
  part(row, 'claim').hidden = request.status !== 'waiting';
  part(row, 'reply').hidden = !isMine(request);
  part(row, 'hand-back').hidden = !isMine(request);
  row.dataset.mine = isMine(request) ? 'yes' : '';
}

// ---- Each request's conversation, and what this nurse hasn't read ----

function viewOf(row) {
  if (!views.has(row)) views.set(row, new ConversationView(field(row, 'conversation')));
  return views.get(row);
}

const patientEntries = (row) => [...field(row, 'conversation').querySelectorAll('.entry--patient')];

/** The last patient's message this nurse has read: as remembered, or else
 *  the last one before the request (what came since is news to her). */
function readUpTo(row) {
  const remembered = Number(localStorage.getItem(READ_KEY + row.dataset.requestId));
  if (remembered) return remembered;
  const asked = Date.parse(row.dataset.createdAt);
  return Math.max(0, ...patientEntries(row).filter((entry) => Date.parse(entry.dataset.at) <= asked)
    .map((entry) => Number(entry.dataset.eventId)));
}

function showUnread(row) {
  const upTo = readUpTo(row);
  let unread = 0;
  for (const entry of patientEntries(row)) {
    const isNew = Number(entry.dataset.eventId) > upTo;
    entry.classList.toggle('entry--unread', isNew);
    entry.querySelector('[data-field="unread"]').hidden = !isNew;
    unread += isNew ? 1 : 0;
  }
  const badge = field(row, 'unread');
  badge.textContent = unread ? counted(unread, 'unread message', 'unread messages') : '';
  badge.hidden = !unread;
  return unread;
}

function markRead(row) {
  const last = Math.max(0, ...patientEntries(row).map((entry) => Number(entry.dataset.eventId)));
  if (last > readUpTo(row)) localStorage.setItem(READ_KEY + row.dataset.requestId, String(last));
  showUnread(row);
}

function following(list) {
  return list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
}

/** Ask for the row's conversation since its last entry shown, and show it. */
async function refreshConversation(row) {
  const list = field(row, 'conversation');
  const view = viewOf(row);
  const first = !list.children.length;
  let response;
  try {
    response = await askQuietly(`${list.dataset.apiUrl}?after=${view.after()}`);
  } catch (error) {
    return; // the queue's own request says when the server can't be reached
  }
  if (response.status === 401) {
    poller.loggedOff(response);
    return;
  }
  if (!response.ok) return; // not indexed yet (404): the next round
  const atTheEnd = first || following(list);
  const before = showUnread(row);
  const { messages, events } = view.render(await response.json());
  if (!row.isConnected) return;
  const unread = showUnread(row);
  if ((messages.length || events) && atTheEnd) list.scrollTop = list.scrollHeight;
  if (unread > before && row.dataset.mine) {
    news.textContent = `${counted(unread - before, 'new message', 'new messages')} from the patient: ${field(row, 'reason').textContent}.`;
    alertNurse('message', 'A patient you are helping wrote again', row.dataset.requestId);
  }
}

function render(requests) {
  const ids = new Set(requests.map((request) => String(request.id)));
  for (const row of [...queue.children]) {
    if (ids.has(row.dataset.requestId)) continue;
    if (row.contains(document.activeElement)) heading.focus();
    row.remove();
  }
  // What was read of requests no longer in the queue is no longer needed.
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(READ_KEY) && !ids.has(key.slice(READ_KEY.length))) localStorage.removeItem(key);
  }
  requests.forEach((request, index) => {
    const row = rowOf(request.id) || newRow(String(request.id));
    fill(row, request);
    // Move only rows out of place: moving the row being typed in would lose its focus.
    if (queue.children[index] !== row) queue.insertBefore(row, queue.children[index] || null);
  });

  const waiting = requests.filter((request) => request.status === 'waiting').length;
  count.textContent = `${waiting} waiting, ${requests.length - waiting} claimed.`;
  document.title = waiting ? `(${waiting}) ${pageTitle}` : pageTitle;
  empty.hidden = requests.length > 0;
  if (seen) {
    const added = requests.filter((request) => !seen.has(request.id));
    if (added.length) {
      news.textContent = added.length === 1 ? `New request: ${added[0].reason}. ${waiting} waiting.`
        : `${added.length} new requests. ${waiting} waiting.`;
      if (!added.some((request) => request.urgent)) { // urgent ones alert below
        alertNurse('request', added.length === 1 ? 'New request for staff'
          : `${added.length} new requests for staff`, added[0].id);
      }
    }
  }
  updateAlert(requests);
  seen = new Map(requests.map((request) => [request.id, request.urgent]));
  showWaitingTimes();
}

function duration(milliseconds) {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const minutes = Math.floor(seconds / 60);
  if (minutes < 1) return `${seconds} s`;
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function showWaitingTimes() {
  const now = Date.now() + clockOffset;
  for (const element of queue.querySelectorAll('[data-field="waiting"]')) {
    const since = Date.parse(element.dataset.since);
    if (Number.isNaN(since)) continue;
    const until = Date.parse(element.dataset.until);
    element.textContent = Number.isNaN(until) ? `Waiting ${duration(now - since)}`
      : `Waited ${duration(until - since)}`;
  }
}

// ---- Urgent requests: the banner and the sound ----

function updateAlert(requests) {
  const alerting = requests.filter((request) => request.urgent && !acknowledged.has(request.id)
    && (request.status === 'waiting' || isMine(request)));
  const key = alerting.map((request) => request.id).join(',');
  if (key === alertShown) return;
  alertShown = key;
  if (!alerting.length) {
    alertBox.replaceChildren();
    return;
  }
  const first = alerting[0];
  const text = document.createElement('p');
  text.textContent = alerting.length > 1 ? `Urgent: ${alerting.length} patients reported an emergency.`
    : `Urgent: a patient reported an emergency (${isMine(first) ? 'in your conversation' : 'waiting for staff'}).`;
  const link = document.createElement('a');
  link.href = `#request-${first.id}`;
  link.textContent = 'Go to the request';
  link.addEventListener('click', (event) => {
    event.preventDefault();
    goTo(rowOf(first.id));
  });
  const dismiss = document.createElement('button');
  dismiss.type = 'button';
  dismiss.className = 'secondary';
  dismiss.textContent = 'Dismiss';
  dismiss.addEventListener('click', () => {
    alerting.forEach((request) => acknowledged.add(request.id));
    alertShown = '';
    alertBox.replaceChildren();
    heading.focus();
  });
  alertBox.replaceChildren(text, link, dismiss);
  if (seen && alerting.some((request) => seen.get(request.id) !== true)) {
    alertNurse('urgent', 'Urgent: a patient reported an emergency', first.id);
  }
}

function goTo(row) {
  if (!row) return;
  row.scrollIntoView({ block: 'center' });
  const control = row.querySelector('form:not([hidden]) textarea, form:not([hidden]) button');
  if (control) control.focus();
}

let audio = null;
const soundOn = () => localStorage.getItem(SOUND_KEY) === 'on';

function audioContext() {
  audio = audio || new AudioContext();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  return audio;
}

// Urgent: three tones, high-low-high; a new request: two, rising; a patient's
// new message in a conversation she claimed: one.
const TONES = { urgent: [880, 660, 880], request: [660, 880], message: [660] };

/** Tell the nurse: a sound, if she turned them on, and a desktop notification
 *  while the tab is hidden, if she allowed them. No patient's words in it: a
 *  notification can show on a locked or shared screen. */
function alertNurse(kind, title, requestId) {
  playSound(kind);
  if (!document.hidden || !window.Notification || Notification.permission !== 'granted') return;
  const notice = new Notification(title, {
    body: 'Open the handoff queue to see it.', tag: `clinic-handoff-${kind}-${requestId}`,
  });
  notice.addEventListener('click', () => {
    window.focus();
    goTo(rowOf(requestId));
    notice.close();
  });
}

function playSound(kind = 'urgent') {
  if (!soundOn()) return;
  const context = audioContext();
  const start = context.currentTime + 0.05;
  TONES[kind].forEach((frequency, index) => {
    const at = start + index * 0.2;
    const tone = context.createOscillator();
    const volume = context.createGain();
    tone.frequency.value = frequency;
    volume.gain.setValueAtTime(0.0001, at);
    volume.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
    volume.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
    tone.connect(volume).connect(context.destination);
    tone.start(at);
    tone.stop(at + 0.2);
  });
}

function showSoundSetting() {
  soundToggle.textContent = soundOn() ? 'Turn off sound alerts' : 'Turn on sound alerts';
}

if (window.AudioContext) {
  showSoundSetting();
  soundToggle.hidden = false;
  soundToggle.addEventListener('click', () => {
    localStorage.setItem(SOUND_KEY, soundOn() ? 'off' : 'on');
    showSoundSetting();
    playSound(); // a sample of the sound, when turned on
  });
  // Browsers play sound only after a click or key press on the page: after a
  // reload, the nurse's first one lets the alerts be heard again.
  for (const type of ['pointerdown', 'keydown']) {
    document.addEventListener(type, () => { if (soundOn()) audioContext(); }, { once: true });
  }
}

// Desktop notifications: the browser asks the nurse's permission, on her click.
function showNotifySetting() {
  const permission = Notification.permission;
  notifyToggle.hidden = permission !== 'default';
  notifyState.hidden = permission === 'default';
  notifyState.textContent = permission === 'granted'
    ? 'Desktop notifications are on while this tab is in the background.'
    : 'Desktop notifications are blocked in this browser\'s settings for this site.';
}

if (window.Notification) {
  showNotifySetting();
  notifyToggle.addEventListener('click', async () => {
    await Notification.requestPermission();
    showNotifySetting();
  });
}

// ---- Talking to the server ----

async function problem(response) {
  const answer = await response.json().catch(() => null);
  return answer && typeof answer.detail === 'string' ? answer.detail
    : `Sorry, that didn't work (the server answered ${response.status}). Please try again.`;
}

async function showAnswer(requests, response) {
  const serverTime = Date.parse(response.headers.get('Date'));
  if (!Number.isNaN(serverTime)) clockOffset = serverTime - Date.now();
  render(requests);
  await Promise.all([...queue.children].map(refreshConversation));
}

// Urgent requests must alert a nurse whose queue is in a background tab.
const poller = keepPolling(() => '/api/staff/handoffs', showAnswer, { whileHidden: true });

const afterSuccess = {
  claim(row, form, feedback) {
    markRead(row);
    feedback.textContent = 'You claimed this request. Your replies appear in the patient\'s chat.';
    goTo(row);
  },
  reply(row, form, feedback) {
    markRead(row);
    form.elements.text.value = '';
    feedback.textContent = 'Reply sent to the patient\'s chat.';
  },
  'hand-back'() {
    news.textContent = 'Handed back to the assistant.';
    heading.focus();
  },
};

queue.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const row = form.closest('.request');
  const feedback = part(row, 'feedback');
  const text = form.elements.text;
  if (form.dataset.busy) return;
  if (text && !text.value.trim()) {
    feedback.textContent = 'Please write a reply first.';
    text.focus();
    return;
  }
  form.dataset.busy = 'yes';
  feedback.textContent = '';
  try {
    const response = await fetch(`/api${new URL(form.action).pathname}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
      body: text ? JSON.stringify({ text: text.value }) : undefined,
    });
    if (response.status === 401) return poller.loggedOff(response);
    if (!response.ok) {
      feedback.textContent = await problem(response);
      return undefined;
    }
    // Whoever claims an urgent request has seen it: no more alert for it.
    if (form.dataset.part === 'claim') acknowledged.add(Number(row.dataset.requestId));
    await poller.refreshNow();
    afterSuccess[form.dataset.part](row, form, feedback);
  } catch (error) {
    feedback.textContent = "Couldn't reach the server. Please check the connection and try again.";
  } finally {
    delete form.dataset.busy;
  }
  return undefined;
});

// Clicking or typing in a request is reading its conversation.
for (const type of ['pointerdown', 'focusin']) {
  queue.addEventListener(type, (event) => {
    const row = event.target.closest && event.target.closest('.request');
    if (row) markRead(row);
  });
}

setInterval(showWaitingTimes, 1000);
poller.refreshNow();
