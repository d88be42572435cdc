// Renders BPMN diagrams read-only (pan and zoom) into every [data-bpmn-url] container.
//
//   <div data-bpmn-url="/…/diagram.bpmn" data-active="Task_1" data-done="Start_1,Flow_1"></div>
//
// data-active / data-done: comma-separated BPMN element ids, marked lotse-active / lotse-done.
// When the diagram is shown the container gets data-rendered="true" ("error" if it failed).
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import './diagram.css';

const ERROR_TEXT = 'Diagramm konnte nicht geladen werden / Diagram could not be loaded';

function ids(value) {
  return (value || '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
}

function showError(container) {
  const alert = document.createElement('p');
  alert.setAttribute('role', 'alert');
  alert.textContent = ERROR_TEXT;
  container.replaceChildren(alert);
  container.dataset.rendered = 'error';
}

// A whole process shrinks to a fraction of its size; open at the step the case is at instead, in reading
// size: the process's whole width where it fits at that size, else centred on the step.
const FOCUS_SCALE = 1;
const MARGIN = 20;

function focusActive(container, canvas, registry, activeIds) {
  const shapes = activeIds
    .map((id) => registry.get(id))
    .filter((element) => element && !element.waypoints && element.type !== 'label');
  const fitted = canvas.viewbox();
  if (!shapes.length || fitted.scale >= FOCUS_SCALE) {
    return;
  }
  // The innermost active element (a task rather than the sub-process around it).
  const shape = shapes.reduce((small, next) => (next.width * next.height < small.width * small.height ? next : small));
  const { width, height } = container.getBoundingClientRect();
  const { inner } = fitted;
  const scale = Math.min(FOCUS_SCALE, width / (inner.width + 2 * MARGIN));
  const viewWidth = width / scale;
  const viewHeight = height / scale;
  const wholeWidth = inner.width + 2 * MARGIN <= viewWidth + 1;
  const centreX = shape.x + shape.width / 2 - viewWidth / 2;
  const x = wholeWidth ? inner.x - MARGIN : centreX;
  const y = Math.max(inner.y - MARGIN, Math.min(shape.y + shape.height / 2 - viewHeight / 2, inner.y + inner.height + MARGIN - viewHeight));
  canvas.viewbox({ x, y, width: viewWidth, height: viewHeight });
}

async function render(container) {
  let viewer;
  try {
    const response = await fetch(container.dataset.bpmnUrl, {
      credentials: 'same-origin',
      headers: { Accept: 'application/xml, text/xml' },
    });
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    const xml = await response.text();

    viewer = new NavigatedViewer({ container });
    await viewer.importXML(xml);

    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    canvas.zoom('fit-viewport');

    for (const [attribute, marker] of [
      [container.dataset.active, 'lotse-active'],
      [container.dataset.done, 'lotse-done'],
    ]) {
      for (const id of ids(attribute)) {
        // Unknown ids (e.g. from an older model version) are skipped.
        if (registry.get(id)) {
          canvas.addMarker(id, marker);
        }
      }
    }
    focusActive(container, canvas, registry, ids(container.dataset.active));
    container.dataset.rendered = 'true';
  } catch (error) {
    console.error('bpmn diagram', container.dataset.bpmnUrl, error);
    if (viewer) {
      viewer.destroy();
    }
    showError(container);
  }
}

function renderAll(root) {
  const containers = [];
  if (root.matches && root.matches('[data-bpmn-url]')) {
    containers.push(root);
  }
  containers.push(...root.querySelectorAll('[data-bpmn-url]'));
  for (const container of containers) {
    // Each container once, also when htmx swaps in new content.
    if (!container.dataset.rendered && !container.dataset.rendering) {
      container.dataset.rendering = 'true';
      render(container).finally(() => delete container.dataset.rendering);
    }
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => renderAll(document));
} else {
  renderAll(document);
}
document.addEventListener('htmx:load', (event) => renderAll(event.target));
