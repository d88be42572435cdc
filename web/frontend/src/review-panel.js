// The review and deploy steps shared by the BPMN and the DMN editor.
//
// The draft never leaves the page: "Prüfen" sends the current XML to the server, which answers with
// an HTML fragment (problems by element, the diff, a confirm form). The confirm form is sent with the
// same XML; if the draft changed since the review, the deploy button is disabled until it is reviewed
// again. `onReview(fragment)` lets the editor highlight the named elements.

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

export function setUpReview({ root, saveXML, onReview, onChange }) {
  const output = document.getElementById('review');
  const reviewButton = document.getElementById('review-button');
  const downloadButton = document.getElementById('download-draft');
  const field = root.dataset.kind; // "bpmn" or "dmn": the name of the file part the server reads
  const fileName = root.dataset.fileName;
  let reviewedXML = null;

  function draftBody(xml, form) {
    const body = form ? new FormData(form) : new FormData();
    if (!form) {
      body.append('csrf_token', csrfToken());
    }
    body.append(field, new Blob([xml], { type: 'application/xml' }), fileName);
    if (field === 'dmn') {
      body.append('dmn_name', fileName);
    }
    return body;
  }

  function show(html) {
    output.innerHTML = html;
    const fragment = output.querySelector('#review-result');
    onReview(fragment);
    const form = output.querySelector('#deploy-form');
    if (form) {
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        deploy(form);
      });
    }
    const heading = output.querySelector('h2');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }

  async function send(url, body) {
    try {
      const response = await fetch(url, { method: 'POST', body, credentials: 'same-origin' });
      show(await response.text());
    } catch (error) {
      console.error('lotse review', error);
      output.innerHTML = '';
      const alert = document.createElement('p');
      alert.className = 'flash error';
      alert.setAttribute('role', 'alert');
      alert.textContent = root.dataset.failedText;
      output.append(alert);
    }
  }

  async function review() {
    reviewButton.disabled = true;
    try {
      const { xml } = await saveXML();
      reviewedXML = xml;
      await send(root.dataset.reviewUrl, draftBody(xml));
    } finally {
      reviewButton.disabled = false;
    }
  }

  async function deploy(form) {
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const { xml } = await saveXML();
    const body = draftBody(xml, form);
    body.append('fragment', '1');
    await send(form.action, body);
  }

  async function download() {
    const { xml } = await saveXML();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
    link.download = fileName;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  async function changed() {
    onChange();
    const form = output.querySelector('#deploy-form');
    if (!form || reviewedXML === null) {
      return;
    }
    const { xml } = await saveXML();
    const button = form.querySelector('button[type="submit"]');
    const stale = xml !== reviewedXML;
    button.disabled = stale;
    let note = output.querySelector('.stale');
    if (stale && !note) {
      note = document.createElement('p');
      note.className = 'flash stale';
      note.setAttribute('role', 'status');
      note.textContent = root.dataset.staleText;
      form.prepend(note);
    } else if (!stale && note) {
      note.remove();
    }
  }

  reviewButton.addEventListener('click', review);
  downloadButton.addEventListener('click', download);
  reviewButton.disabled = false;
  downloadButton.disabled = false;
  return { changed };
}

export function showLoadError(root, error) {
  console.error('lotse editor', error);
  const alert = document.createElement('p');
  alert.className = 'flash error';
  alert.setAttribute('role', 'alert');
  alert.textContent = root.dataset.errorText;
  root.replaceChildren(alert);
  root.dataset.state = 'error';
}

export async function fetchModel(url) {
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/xml' } });
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}`);
  }
  return response.text();
}
