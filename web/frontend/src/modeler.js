// The BPMN editor for process owners: bpmn-js Modeler with the Camunda 7 properties panel, so candidate
// groups, due dates, priorities and generated forms (camunda:formData) are edited in the panel.
// Problems found by the review are marked on the canvas (lotse-error / lotse-warning), and so is
// what changed against the deployed version (lotse-added / lotse-changed). The editor speaks the person's
// language (editor-language.js) and shows only the panel groups Lotse uses (lotse-groups.js).
import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import './modeler.css';

import { translateModule } from './editor-language.js';
import lotseDeadlines from './lotse-deadlines.js';
import lotseGroups from './lotse-groups.js';
import { fetchModel, setUpReview, showLoadError } from './review-panel.js';

const PALETTE_WIDTH = 110;

// A tall process shrinks to unreadable size when fitted whole; fit its width instead (scroll down for the
// rest), beside the tool palette.
const FIT_MARGIN = 20;

function fitWidth(canvas) {
  const { inner, outer } = canvas.viewbox();
  const width = inner.width + 2 * FIT_MARGIN;
  const scale = (outer.width - PALETTE_WIDTH) / width;
  if (!inner.width || scale <= canvas.zoom()) {
    return;
  }
  canvas.viewbox({
    x: inner.x - FIT_MARGIN,
    y: inner.y - FIT_MARGIN,
    width: outer.width / scale,
    height: outer.height / scale,
  });
}

async function start(root) {
  const modeler = new BpmnModeler({
    container: root.querySelector('#canvas'),
    propertiesPanel: { parent: root.querySelector('#properties') },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      lotseDeadlines,
      lotseGroups,
      translateModule(root),
    ],
    moddleExtensions: { camunda: camundaModdle },
  });
  try {
    await modeler.importXML(await fetchModel(root.dataset.sourceUrl));
  } catch (error) {
    modeler.destroy();
    showLoadError(root, error);
    return;
  }
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  canvas.zoom('fit-viewport');
  fitWidth(canvas);
  canvas.scroll({ dx: PALETTE_WIDTH }); // nothing starts hidden under the tool palette
  let marked = [];

  function unmark() {
    for (const [id, marker] of marked) {
      canvas.removeMarker(id, marker);
    }
    marked = [];
  }

  function mark(id, marker) {
    if (id && registry.get(id)) {
      canvas.addMarker(id, marker);
      marked.push([id, marker]);
      return true;
    }
    return false;
  }

  function onReview(fragment) {
    unmark();
    if (!fragment) {
      return;
    }
    for (const item of fragment.querySelectorAll('[data-diff-element]')) {
      mark(item.dataset.diffElement, `lotse-${item.dataset.diff}`);
    }
    for (const item of fragment.querySelectorAll('[data-element-id]')) {
      const id = item.dataset.elementId;
      if (mark(id, `lotse-${item.dataset.severity}`)) {
        // A click on a problem selects its element, so the panel shows what to fix.
        item.classList.add('selectable');
        item.setAttribute('tabindex', '0');
        const select = () => {
          modeler.get('selection').select(registry.get(id));
          canvas.scrollToElement(registry.get(id));
        };
        item.addEventListener('click', select);
        item.addEventListener('keydown', (event) => event.key === 'Enter' && select());
      }
    }
  }

  const review = setUpReview({
    root,
    saveXML: () => modeler.saveXML({ format: true }),
    onReview,
    onChange: () => {},
  });
  modeler.on('commandStack.changed', () => review.changed());
  root.dataset.state = 'ready';
  root.lotseModeler = modeler;
}

const root = document.getElementById('modeler');
if (root && root.dataset.kind === 'bpmn') {
  start(root);
}


