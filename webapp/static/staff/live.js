// What the staff console's live pages share (conversations.js, transcript.js):
// asking the staff API again every 2 seconds, and filling copies of the page's
// <template> markup. Text from the server only ever reaches the page as
// textContent, never as HTML.

export const POLL_MS = 2000;

/** Call the API at url() every POLL_MS and give each answer to onAnswer; say
 *  on the page (#connection) when the server can't be reached, and stop when
 *  the session has ended. */
export function keepPolling(url, onAnswer) {
  const connection = document.getElementById('connection');
  let stopped = false;

  function loggedOut() {
    stopped = true;
    const link = document.createElement('a');
    link.href = '/staff/login';
    link.textContent = 'Log in again';
    connection.replaceChildren('You have been logged out, so this page no longer updates. ', link);
    connection.hidden = false;
  }

  async function round() {
    if (!document.hidden) {
      try {
        const response = await fetch(url(), { headers: { Accept: 'application/json' } });
        if (response.status === 401) {
          loggedOut();
        } else if (!response.ok) {
          throw new Error(`the server answered ${response.status}`);
        } else {
          onAnswer(await response.json());
          connection.hidden = true;
        }
      } catch (error) {
        connection.textContent = "Can't reach the server: this page may be out of date. Trying again…";
        connection.hidden = false;
      }
    }
    if (!stopped) setTimeout(round, POLL_MS);
  }
  setTimeout(round, POLL_MS);
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
