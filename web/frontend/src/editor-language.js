// The editors' language: bpmn-js, its properties panel and dmn-js word their texts in English through a
// `translate` service. Lotse replaces that service: in German (the default) every text of the editors that
// a process owner meets is looked up in the dictionary below, written for Lotse; in English the editors'
// own texts stay. Lotse's own help (Python expressions instead of Camunda's EL) comes from the page in
// either language (data-hint-* attributes, from the message catalogue).
import { GERMAN } from './editor-german.js';

// Camunda's help texts that Lotse words differently: the page's data attribute → the original text.
const CAMUNDA_HINTS = {
  hintDueDate: 'The due date as an EL expression (e.g. ${someDate}) or an ISO date (e.g. 2015-06-26T09:54:00).',
  hintFollowUpDate:
    'The follow up date as an EL expression (e.g. ${someDate}) or an ISO date (e.g. 2015-06-26T09:54:00).',
  hintCandidateGroups: 'Specify more than one group as a comma separated list.',
};

// The panel's header names element types in title case ("User Task"), the menus in sentence case
// ("User task"): one entry serves both.
const BY_LOWER_CASE = Object.fromEntries(Object.entries(GERMAN).map(([english, german]) => [english.toLowerCase(), german]));

export function editorLanguage(root) {
  return root.dataset.language === 'en' ? 'en' : 'de';
}

export function translateModule(root) {
  const german = editorLanguage(root) === 'de';
  const replaced = {};
  for (const [attribute, original] of Object.entries(CAMUNDA_HINTS)) {
    if (root.dataset[attribute]) {
      replaced[original] = root.dataset[attribute];
    }
  }
  const lookUp = (template) => {
    if (replaced[template]) {
      return replaced[template];
    }
    if (!german) {
      return template;
    }
    return GERMAN[template] || BY_LOWER_CASE[template.toLowerCase()] || template;
  };
  const translate = (template, replacements = {}) =>
    lookUp(template).replace(/{([^}]+)}/g, (match, key) => (key in replacements ? replacements[key] : match));
  return { translate: ['value', translate] };
}
