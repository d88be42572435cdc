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
