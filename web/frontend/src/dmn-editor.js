// The DMN editor for process owners: dmn-js with the decision table view opened first, in the person's
// language (editor-language.js).
import DmnModeler from 'dmn-js/lib/Modeler';

import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';
import './modeler.css';

import { translateModule } from './editor-language.js';
import { fetchModel, setUpReview, showLoadError } from './review-panel.js';

async function start(root) {
  root.classList.add('dmn-modeler');
  // Every view speaks the person's language (dmn-js takes additional modules per view, not in `common`).
  const language = { additionalModules: [translateModule(root)] };
  const modeler = new DmnModeler({
    container: root.querySelector('#canvas'),
    drd: language,
    decisionTable: language,
    literalExpression: language,
    boxedExpression: language,
  });
  try {
    await modeler.importXML(await fetchModel(root.dataset.sourceUrl));
  } catch (error) {
    modeler.destroy();
    showLoadError(root, error);
    return;
  }
  const table = modeler.getViews().find((view) => view.type === 'decisionTable');
  if (table) {
    await modeler.open(table);
  }
  const review = setUpReview({
    root,
    saveXML: () => modeler.saveXML({ format: true }),
    onReview: () => {},
    onChange: () => {},
  });
  // Every view has its own command stack; listen to whichever is active.
  modeler.on('views.changed', () => {
    const viewer = modeler.getActiveViewer();
    if (viewer) {
      viewer.on('commandStack.changed', () => review.changed());
    }
  });
  const viewer = modeler.getActiveViewer();
  if (viewer) {
    viewer.on('commandStack.changed', () => review.changed());
  }
  root.dataset.state = 'ready';
}

const root = document.getElementById('modeler');
if (root && root.dataset.kind === 'dmn') {
  start(root);
}
