// The handoff queue, live (templates/staff/handoffs.html, webapp/console_handoffs.py).
//
// Asks the staff API for the queue every 2 seconds (live.js), also while the tab
// is hidden, and updates the page in place; sends the queue's forms (claim,
// reply, hand back) to the staff API with the session's CSRF token; when a
// request becomes urgent, shows a banner (role="alert") and, once the nurse has
// turned sound alerts on, plays a short sound made with the Web Audio API. When
// the session ends (after 15 minutes without activity, too), the queue and its
// alerts stop. Patient text only ever reaches the page as textContent.
import { keepPolling } from './live.js';

const SOUND_KEY = 'clinic-staff-sound-alerts';
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
const pageTitle = document.title;

let seen = null; // request id -> urgent, as of the last answer (null before the first)
const acknowledged = new Set(); // urgent requests whose alert this nurse dismissed or claimed
let alertShown = '';
const shownMessages = new WeakMap(); // row -> the messages it shows (JSON)
let clockOffset = 0; // the server's clock minus this computer's, from the Date header

const field = (row, name) => row.querySelector(`[data-field="${name}"]`);
const part = (row, name) => row.querySelector(`[data-part="${name}"]`);
const isMine = (request) => request.status === 'claimed' && request.claimed_by_id === me;
const rowOf = (id) => document.getElementById(`request-${id}`);

// ---- Rendering ----

function newRow(id) {
  const row = template.content.firstElementChild.cloneNode(true);
  for (const element of [row, ...row.querySelectorAll('*')]) {
    for (const name of ['id', 'for', 'action', 'aria-describedby', 'data-request-id']) {
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
  // As console_conversations.transcript_url makes it.
  field(row, 'transcript').href = `/staff/conversations/${encodeURIComponent(request.conversation_id)}`;
  const waiting = field(row, 'waiting');
  waiting.dataset.since = request.created_at;
  waiting.dataset.until = request.claimed_at || '';
  field(row, 'status').textContent = request.status === 'waiting' ? 'Waiting for staff'
    : isMine(request) ? 'Claimed by you' : `Claimed by ${request.claimed_by}`;
  part(row, 'claim').hidden = request.status !== 'waiting';
  part(row, 'reply').hidden = !isMine(request);
  part(row, 'hand-back').hidden = !isMine(request);

  const said = (request.summary && request.summary.last_messages) || [];
  if (shownMessages.get(row) !== JSON.stringify(said)) {
    shownMessages.set(row, JSON.stringify(said));
    field(row, 'messages').replaceChildren(...said.map((text) => {
      const item = document.createElement('li');
      item.textContent = text;
      return item;
    }));
  }
}

function render(requests) {
  const ids = new Set(requests.map((request) => String(request.id)));
  for (const row of [...queue.children]) {
    if (ids.has(row.dataset.requestId)) continue;
    if (row.contains(document.activeElement)) heading.focus();
    row.remove();
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
  if (seen && alerting.some((request) => seen.get(request.id) !== true)) playSound();
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

function playSound() {
  if (!soundOn()) return;
  const context = audioContext();
  const start = context.currentTime + 0.05;
  [880, 660, 880].forEach((frequency, index) => {
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

// ---- Talking to the server ----

async function problem(response) {
  const answer = await response.json().catch(() => null);
  return answer && typeof answer.detail === 'string' ? answer.detail
    : `Sorry, that didn't work (the server answered ${response.status}). Please try again.`;
}

function showAnswer(requests, response) {
  const serverTime = Date.parse(response.headers.get('Date'));
  if (!Number.isNaN(serverTime)) clockOffset = serverTime - Date.now();
  render(requests);
}

// Urgent requests must alert a nurse whose queue is in a background tab.
const poller = keepPolling(() => '/api/staff/handoffs', showAnswer, { whileHidden: true });

const afterSuccess = {
  claim(row, form, feedback) {
    feedback.textContent = 'You claimed this request. Your replies appear in the patient\'s chat.';
    goTo(row);
  },
  reply(row, form, feedback) {
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

setInterval(showWaitingTimes, 1000);
poller.refreshNow();
