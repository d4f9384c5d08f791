// What the staff console's live pages share (handoffs.js, conversations.js,
// transcript.js, conversation_view.js): asking the staff API again every 2 seconds, ending the page
// when the session has ended, and filling copies of the page's <template>
// markup. Text from the server only ever reaches the page as textContent,
// never as HTML.

const POLL_MS = 2000;
// The header says a request is the page's own refresh, not something the nurse
// did: it does not keep the session alive (webapp/staff_auth.py), so an
// unattended open page is logged off after the idle timeout like any other.
const BACKGROUND_REFRESH = { Accept: 'application/json', 'X-Background-Refresh': '1' };
const LOGGED_OUT = 'You have been logged out, so this page no longer updates.';

/** A page's own request to the staff API (not something the nurse did). */
export function askQuietly(url) {
  return fetch(url, { headers: BACKGROUND_REFRESH });
}

/** Ask the staff API at url() every POLL_MS and give each answer to
 *  onAnswer(answer, response). In a hidden tab it pauses, or with `whileHidden`
 *  keeps asking (the handoff queue, for its urgent alerts); either way it
 *  catches up as soon as the tab is shown again. Says on the page (#connection)
 *  when the server can't be reached. When the session has ended it stops and
 *  ends the page (endPage). Returns refreshNow(), to ask at once (after an
 *  action; resolves once the answer is shown, onAnswer's promise too), and
 *  loggedOff(response), for a 401 answer to the page's own requests. */
export function keepPolling(url, onAnswer, { whileHidden = false } = {}) {
  const connection = document.getElementById('connection');
  let stopped = false;
  let asked = 0;
  let shown = 0;

  async function loggedOff(response) {
    stopped = true;
    const answer = await response.json().catch(() => null);
    endPage(answer && answer.reason === 'idle' ? answer.detail : LOGGED_OUT);
  }

  async function refreshNow() {
    if (stopped) return;
    const number = ++asked;
    try {
      const response = await askQuietly(url());
      if (response.status === 401) {
        await loggedOff(response);
        return;
      }
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const answer = await response.json();
      if (stopped || number < shown) return; // a later answer is already shown
      shown = number;
      await onAnswer(answer, response);
      connection.hidden = true;
    } catch (error) {
      if (stopped) return;
      connection.textContent = "Can't reach the server: this page may be out of date. Trying again…";
      connection.hidden = false;
    }
  }

  async function round() {
    if (whileHidden || !document.hidden) await refreshNow();
    if (!stopped) setTimeout(round, POLL_MS);
  }

  // A background tab's timers may run only once a minute: catch up on coming back.
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refreshNow();
  });
  setTimeout(round, POLL_MS);
  return { refreshNow, loggedOff };
}

/** The session has ended: take everything but the heading off the page (the
 *  patients' messages with it) and say why, with a link to log in again. */
function endPage(why) {
  const main = document.querySelector('main');
  const heading = main.querySelector('h1');
  const message = document.createElement('p');
  message.className = 'message';
  message.setAttribute('role', 'alert');
  const link = document.createElement('a');
  link.href = '/staff/login';
  link.textContent = 'Log in again';
  message.append(`${why} `, link);
  main.replaceChildren(...(heading ? [heading] : []), message);
  document.title = 'Logged off · Clinic staff console';
}

/** A copy of the first element of <template id="...">. */
export function fromTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

/** Each [data-field] inside `element` shows values[field]: as text (hidden
 *  when empty), a <time>'s machine-readable moment too, and flags as badges. */
export function fill(element, values, moment) {
  for (const field of element.querySelectorAll('[data-field]')) {
    const name = field.dataset.field;
    if (!(name in values)) continue;
    if (name === 'flags') {
      field.replaceChildren(...values.flags.flatMap((flag, index) => {
        const badge = document.createElement('span');
        badge.classList.add('flag', `flag--${flag.name}`);
        badge.textContent = flag.label;
        return index ? [' ', badge] : [badge]; // words apart, for screen readers too
      }));
      continue;
    }
    const value = values[name] === null || values[name] === undefined ? '' : String(values[name]);
    if (field.textContent !== value) field.textContent = value;
    field.hidden = value === '';
    if (field instanceof HTMLTimeElement && moment) field.dateTime = moment;
  }
}

/** Say `text` in the page's polite live region (#live-status), once. */
export function announce(text) {
  const status = document.getElementById('live-status');
  status.textContent = '';
  // A new text node after a pause: screen readers announce even a repeated message.
  setTimeout(() => { status.textContent = text; }, 100);
}

/** "1 new message", "3 new messages". */
export function count(number, singular, plural) {
  return `${number} ${number === 1 ? singular : plural}`;
}
