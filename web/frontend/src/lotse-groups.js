// Only the properties panel groups that mean something in Lotse: what a step is called and explains
// (general, documentation), who works on it and by when (candidate group, due and follow-up date,
// priority; reminder and escalation), its form, Lotse's effects and English texts (extension properties), and what makes the
// process run (conditions, timers, decisions, scripts, events). Camunda's engine settings (history
// cleanup, external tasks, job execution, candidate starters, listeners, mappings …) are not shown.
const LOTSE_GROUPS = new Set([
  'general',
  'documentation',
  'CamundaPlatform__UserAssignment',
  'lotse-deadlines',
  'CamundaPlatform__Form',
  'CamundaPlatform__FormData',
  'CamundaPlatform__ExtensionProperties',
  'CamundaPlatform__Implementation',
  'CamundaPlatform__Script',
  'CamundaPlatform__Condition',
  'CamundaPlatform__CallActivity',
  'condition',
  'timer',
  'message',
  'signal',
  'error',
  'escalation',
  'link',
  'compensation',
  'multiInstance',
]);

const AFTER_CAMUNDA = 100; // Camunda's provider adds its groups at priority 500; this one runs after it

class LotseGroups {
  constructor(propertiesPanel) {
    propertiesPanel.registerProvider(AFTER_CAMUNDA, this);
  }

  getGroups() {
    return (groups) => groups.filter((group) => LOTSE_GROUPS.has(group.id));
  }
}

LotseGroups.$inject = ['propertiesPanel'];

export default { __init__: ['lotseGroups'], lotseGroups: ['type', LotseGroups] };
