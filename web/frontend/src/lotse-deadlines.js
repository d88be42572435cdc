// The properties panel group "Erinnerung und Eskalation" of a user task: when the step is overdue
// (lotse:frist; the people responsible are reminded) and when it is escalated (lotse:eskalation_ab; the
// team lead gets "Eskalation prüfen: … überfällig"). Lotse expands both into the reminder and escalation
// chain when it reads the model (engine/bpmn/deadline_chains.py); the diagram does not draw it.
import { TextFieldEntry, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { html } from 'htm/preact';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export const DEADLINE_GROUP = 'lotse-deadlines';
const FIELDS = [
  {
    property: 'lotse:frist',
    label: 'Overdue at (reminder)',
    description: 'An expression or variable, e.g. arbeitsstunden(2) or frist_vermittlung.',
  },
  {
    property: 'lotse:eskalation_ab',
    label: 'Escalate at (team lead)',
    description: "An expression or variable, e.g. frist(2, 'arbeitsstunden', ab=arbeitsstunden(2)).",
  },
];

function propertiesOf(element) {
  const extensions = getBusinessObject(element).get('extensionElements');
  return extensions ? extensions.get('values').find((value) => is(value, 'camunda:Properties')) : undefined;
}

function propertyOf(element, name) {
  const properties = propertiesOf(element);
  return properties ? properties.get('values').find((property) => property.name === name) : undefined;
}

function setProperty(element, name, value, bpmnFactory, modeling) {
  const owner = getBusinessObject(element);
  let extensions = owner.get('extensionElements');
  if (!extensions) {
    extensions = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensions.$parent = owner;
    modeling.updateModdleProperties(element, owner, { extensionElements: extensions });
  }
  let properties = propertiesOf(element);
  if (!properties) {
    properties = bpmnFactory.create('camunda:Properties', { values: [] });
    properties.$parent = extensions;
    modeling.updateModdleProperties(element, extensions, { values: [...extensions.get('values'), properties] });
  }
  const existing = propertyOf(element, name);
  const text = (value || '').trim();
  if (!text) {
    if (existing) {
      modeling.updateModdleProperties(element, properties, {
        values: properties.get('values').filter((property) => property !== existing),
      });
    }
  } else if (existing) {
    modeling.updateModdleProperties(element, existing, { value: text });
  } else {
    const added = bpmnFactory.create('camunda:Property', { name, value: text });
    added.$parent = properties;
    modeling.updateModdleProperties(element, properties, { values: [...properties.get('values'), added] });
  }
}

function DeadlineEntry(props) {
  const { element, id, field } = props;
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  return html`<${TextFieldEntry}
    element=${element}
    id=${id}
    label=${translate(field.label)}
    description=${translate(field.description)}
    getValue=${() => (propertyOf(element, field.property) || {}).value || ''}
    setValue=${(value) => setProperty(element, field.property, value, bpmnFactory, modeling)}
    debounce=${debounce}
  />`;
}

class LotseDeadlines {
  constructor(propertiesPanel, translate) {
    this.translate = translate;
    propertiesPanel.registerProvider(200, this);
  }

  getGroups(element) {
    return (groups) => {
      if (!is(element, 'bpmn:UserTask')) {
        return groups;
      }
      const entries = FIELDS.map((field) => ({
        id: `${DEADLINE_GROUP}-${field.property.replace(':', '-')}`,
        element,
        field,
        component: DeadlineEntry,
        isEdited: isTextFieldEntryEdited,
      }));
      const group = { id: DEADLINE_GROUP, label: this.translate('Reminder and escalation'), entries };
      const after = groups.findIndex((candidate) => candidate.id === 'CamundaPlatform__UserAssignment');
      groups.splice(after >= 0 ? after + 1 : groups.length, 0, group);
      return groups;
    };
  }
}

LotseDeadlines.$inject = ['propertiesPanel', 'translate'];

export default { __init__: ['lotseDeadlines'], lotseDeadlines: ['type', LotseDeadlines] };
