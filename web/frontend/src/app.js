// Loaded on every page: htmx, and the CSRF token on every htmx request.
import htmx from 'htmx.org';

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
