// Loaded on every page: htmx, and the CSRF token on every htmx request.
import htmx from 'htmx.org';

// Lotse's Content-Security-Policy allows no inline script or style and no eval: htmx neither evaluates
// expressions (trigger filters, hx-on, js: values) nor runs scripts in swapped content, nor inserts its
// indicator style element (lotse.css styles what is needed). Set before htmx starts (DOMContentLoaded).
htmx.config.allowEval = false;
htmx.config.allowScriptTags = false;
htmx.config.includeIndicatorStyles = false;
window.htmx = htmx;

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : null;
}

document.addEventListener('htmx:configRequest', (event) => {
  const token = csrfToken();
  if (token) {
    event.detail.headers['X-CSRFToken'] = token;
  }
});

// A list that refreshes itself (data-poll-when-idle, e.g. the inbox every minute) skips a refresh while
// its tab is hidden or the person works in one of its forms; this is the trigger filter htmx may not eval.
document.addEventListener('htmx:confirm', (event) => {
  const element = event.detail.elt;
  if (!(element instanceof Element) || !element.hasAttribute('data-poll-when-idle')) {
    return;
  }
  const active = document.activeElement;
  const working = active instanceof Element && element.contains(active) && active.closest('form, [form]');
  if (document.visibilityState !== 'visible' || working) {
    event.preventDefault();
  }
});

// Typing is activity: while someone types into a form that posts, the server hears so at most every
// five minutes, so that a long call does not end in an expired session. If the session has ended
// anyway, the page says so at once instead of at the submit.
const KEEP_ALIVE_MS = 5 * 60 * 1000;
let lastKeepAlive = Date.now();

function sayTheSessionEnded() {
  if (document.getElementById('session-ended')) {
    return;
  }
  const notice = document.createElement('p');
  notice.id = 'session-ended';
  notice.className = 'alert';
  notice.setAttribute('role', 'alert');
  notice.textContent = document.body.dataset.sessionEnded || '';
  const main = document.querySelector('main') || document.body;
  main.prepend(notice);
}

document.addEventListener('input', (event) => {
  const url = document.body.dataset.keepAlive;
  const form = event.target instanceof Element ? event.target.closest('form') : null;
  if (!url || !form || form.method.toLowerCase() !== 'post' || Date.now() - lastKeepAlive < KEEP_ALIVE_MS) {
    return;
  }
  lastKeepAlive = Date.now();
  fetch(url, {
    method: 'POST',
    headers: { 'X-CSRFToken': csrfToken() || '' },
    credentials: 'same-origin',
    redirect: 'manual',
  })
    .then((response) => {
      if (response.type === 'opaqueredirect' || [400, 401, 403].includes(response.status)) {
        sayTheSessionEnded(); // sent to the login, or the session's CSRF token is gone with it
      }
    })
    .catch(() => {}); // offline for a moment: the next keystrokes try again after the interval
});

// Enter in a reassign field of the task list assigns that row, as its own button does (the list's
// shared form alone would not know which row was meant).
document.addEventListener('keydown', (event) => {
  const field = event.target;
  if (event.key !== 'Enter' || !(field instanceof HTMLInputElement) || !field.classList.contains('assignee')) {
    return;
  }
  const button = field.closest('.assign')?.querySelector('button[type="submit"]');
  if (button) {
    event.preventDefault();
    button.click();
  }
});
