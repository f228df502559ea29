// Moddle descriptors of the extensions MotCua's diagrams use (README "BPMN conventions"), so that bpmn-js reads,
// edits and writes them instead of keeping them as opaque XML.
export const spiffworkflow = {
  name: 'SpiffWorkflow', prefix: 'spiffworkflow', uri: 'http://spiffworkflow.org/bpmn/schema/1.0/core',
  xml: { tagAlias: 'lowerCase' }, associations: [],
  types: [
    { name: 'Properties', superClass: ['Element'], meta: { allowedIn: ['*'] },
      properties: [{ name: 'properties', type: 'Property', isMany: true }] },
    { name: 'Property', superClass: ['Element'],
      properties: [{ name: 'name', type: 'String', isAttr: true }, { name: 'value', type: 'String', isAttr: true }] },
  ],
};

export const zeebe = {
  name: 'Zeebe', prefix: 'zeebe', uri: 'http://camunda.org/schema/zeebe/1.0',
  xml: { tagAlias: 'lowerCase' }, associations: [],
  types: [
    { name: 'UserTaskForm', superClass: ['Element'], meta: { allowedIn: ['bpmn:Process'] },
      properties: [{ name: 'id', type: 'String', isAttr: true }, { name: 'body', type: 'String', isBody: true }] },
    { name: 'FormDefinition', superClass: ['Element'], meta: { allowedIn: ['bpmn:UserTask'] },
      properties: [{ name: 'formKey', type: 'String', isAttr: true }] },
    { name: 'UserTask', superClass: ['Element'], properties: [] },
    { name: 'VersionTag', superClass: ['Element'], properties: [{ name: 'value', type: 'String', isAttr: true }] },
    { name: 'Properties', superClass: ['Element'], properties: [{ name: 'properties', type: 'Property', isMany: true }] },
    { name: 'Property', superClass: ['Element'],
      properties: [{ name: 'name', type: 'String', isAttr: true }, { name: 'value', type: 'String', isAttr: true }] },
  ],
};
