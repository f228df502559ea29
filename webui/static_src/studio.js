// The designer studio's editor page (webui/templates/webui/studio_editor.html, webui/views_studio.py), bundled by
// build.mjs into vendor/studio.bundle.js. bpmn-js's Modeler with its properties panel and a "MotCua" group of our
// properties (lane routing ROLE@PLACE, a step's time allocation and form, a gateway flow's condition checked by the
// server as you type), bpmnlint's recommended rules as instant feedback, and SAVE: the XML goes to the server with
// the draft's revision; the server's problems come back as JSON and each is drawn on its element (a marker and an
// overlay) and listed; a listed problem selects its element. The server is the authority, never bpmnlint.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { layoutProcess } from 'bpmn-auto-layout';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, useService } from 'bpmn-js-properties-panel';
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { useEffect, useRef, useState } from '@bpmn-io/properties-panel/preact/hooks';
import { is, getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';
import lintModule from 'bpmn-js-bpmnlint';
import bpmnlintConfig from 'motcua-bpmnlint-config';
import { FormEditor } from '@bpmn-io/form-js-editor';
import { spiffworkflow, zeebe } from './moddle.js';

const FORM_KEY_PREFIX = 'camunda-forms:bpmn:';
const LANE_NAME = /^\s*([a-z_]+)@(self|parent|province)(?:\/([a-z0-9_-]+))?\s*$/;
let cfg = {};
const L = (key) => (cfg.labels && cfg.labels[key]) || key;

// ---------------------------------------------------------------------------------------------------------------
// extension elements (spiffworkflow:properties, zeebe:userTaskForm / zeebe:formDefinition)

function extensionElements(element, bo, bpmnFactory, modeling) {
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  return ext;
}

function childOf(element, ext, type, attrs, services, match) {
  let found = ext.get('values').find((v) => is(v, type) && (!match || match(v)));
  if (!found) {
    found = services.bpmnFactory.create(type, attrs);
    found.$parent = ext;
    services.modeling.updateModdleProperties(element, ext, { values: [...ext.get('values'), found] });
  }
  return found;
}

function spiffProperty(bo, name) {
  const ext = bo.get('extensionElements');
  const holder = ext && ext.get('values').find((v) => is(v, 'spiffworkflow:Properties'));
  const prop = holder && holder.get('properties').find((p) => p.name === name);
  return prop ? prop.value : undefined;
}

function setSpiffProperty(element, bo, name, value, services) {
  const { bpmnFactory, modeling } = services;
  const ext = extensionElements(element, bo, bpmnFactory, modeling);
  const holder = childOf(element, ext, 'spiffworkflow:Properties', { properties: [] }, services);
  const props = holder.get('properties');
  const existing = props.find((p) => p.name === name);
  if (value === null || value === undefined || value === '') {
    if (existing) modeling.updateModdleProperties(element, holder, { properties: props.filter((p) => p !== existing) });
  } else if (existing) {
    modeling.updateModdleProperties(element, existing, { value: String(value) });
  } else {
    const prop = bpmnFactory.create('spiffworkflow:Property', { name, value: String(value) });
    prop.$parent = holder;
    modeling.updateModdleProperties(element, holder, { properties: [...props, prop] });
  }
}

function processOf(bo) {
  let node = bo;
  while (node && !is(node, 'bpmn:Process')) node = node.$parent;
  return node;
}

function formIdOf(bo) {
  const ext = bo.get('extensionElements');
  const def = ext && ext.get('values').find((v) => is(v, 'zeebe:FormDefinition'));
  return def && def.formKey && def.formKey.startsWith(FORM_KEY_PREFIX) ? def.formKey.slice(FORM_KEY_PREFIX.length) : null;
}

function formSchemaOf(bo) {
  const id = formIdOf(bo);
  const process = processOf(bo);
  const ext = id && process && process.get('extensionElements');
  const form = ext && ext.get('values').find((v) => is(v, 'zeebe:UserTaskForm') && v.id === id);
  if (!form || !form.body) return null;
  try { return JSON.parse(form.body); } catch (e) { return null; }
}

function writeForm(element, schema, services) {
  const bo = getBusinessObject(element);
  const id = formIdOf(bo) || `form_${bo.id}`;
  schema.id = id;
  const process = processOf(bo);
  const processExt = extensionElements(element, process, services.bpmnFactory, services.modeling);
  const form = childOf(element, processExt, 'zeebe:UserTaskForm', { id }, services, (v) => v.id === id);
  services.modeling.updateModdleProperties(element, form, { body: JSON.stringify(schema) });
  const taskExt = extensionElements(element, bo, services.bpmnFactory, services.modeling);
  const def = childOf(element, taskExt, 'zeebe:FormDefinition', {}, services);
  services.modeling.updateModdleProperties(element, def, { formKey: FORM_KEY_PREFIX + id });
}

// ---------------------------------------------------------------------------------------------------------------
// the "MotCua" group of the properties panel

function useServices() {
  return { modeling: useService('modeling'), bpmnFactory: useService('bpmnFactory') };
}

function laneParts(bo) {
  const m = LANE_NAME.exec(bo.name || '');
  return m ? { role: m[1], anchor: m[2], kind: m[3] || '' } : { role: '', anchor: '', kind: '' };
}

function LanePartEntry(props) {
  const { element, id, part, label, options } = props;
  const services = useServices();
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id, label,
    getValue: () => laneParts(bo)[part],
    setValue: (value) => {
      // A lane without a route yet gets the other part's default (specialist, self) so that the name parses.
      const current = laneParts(bo);
      const parts = { role: current.role || 'specialist', anchor: current.anchor || 'self', kind: current.kind,
        [part]: value };
      if (!parts.role || !parts.anchor) return;
      services.modeling.updateProperties(element, {
        name: `${parts.role}@${parts.anchor}${parts.kind ? '/' + parts.kind : ''}`,
      });
    },
    getOptions: () => [{ value: '', label: '—' }, ...options.map(([value, text]) => ({ value, label: text }))],
  });
}

function AllocationUnitEntry({ element, id }) {
  const services = useServices();
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id, label: L('allocation_unit'),
    getValue: () => (spiffProperty(bo, 'allocation_hours') !== undefined ? 'hours' : 'days'),
    setValue: (unit) => {
      const value = spiffProperty(bo, 'allocation_days') ?? spiffProperty(bo, 'allocation_hours') ?? '1';
      setSpiffProperty(element, bo, unit === 'hours' ? 'allocation_days' : 'allocation_hours', null, services);
      setSpiffProperty(element, bo, `allocation_${unit}`, value, services);
    },
    getOptions: () => [{ value: 'days', label: L('days') }, { value: 'hours', label: L('hours') }],
  });
}

function AllocationValueEntry({ element, id }) {
  const services = useServices();
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const name = () => (spiffProperty(bo, 'allocation_hours') !== undefined ? 'allocation_hours' : 'allocation_days');
  return h(TextFieldEntry, {
    element, id, label: L('allocation'), debounce,
    getValue: () => spiffProperty(bo, name()) || '',
    setValue: (value) => setSpiffProperty(element, bo, name(), (value || '').trim(), services),
    validate: (value) => (!value || /^\d+(\.\d{1,2})?$/.test(value.trim()) ? null : L('allocation_invalid')),
  });
}

function FormEntry({ element, id }) {
  const services = useServices();
  const bo = getBusinessObject(element);
  const schema = formSchemaOf(bo);
  const count = schema && schema.components ? schema.components.length : 0;
  return h('div', { class: 'bio-properties-panel-entry', 'data-entry-id': id },
    h('div', { class: 'bio-properties-panel-label' }, L('form')),
    h('p', { class: 'studio-form-summary' }, schema ? `${schema.id} · ${count} ${L('components')}` : L('no_form')),
    h('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': 'studio-edit-form',
      onClick: () => openFormEditor(element, schema, services),
    }, schema ? L('edit_form') : L('add_form')));
}

function ConditionEntry({ element, id }) {
  const services = useServices();
  const bo = getBusinessObject(element);
  const [value, setValue] = useState(bo.conditionExpression ? bo.conditionExpression.body || '' : '');
  const [verdict, setVerdict] = useState(null);
  const timer = useRef(null);
  const latest = useRef(0);

  function check(text) {
    const ticket = ++latest.current;
    if (!text.trim()) { setVerdict({ ok: false, message: L('condition_empty') }); return; }
    fetch(`${cfg.checkUrl}?expression=${encodeURIComponent(text)}`, { headers: { Accept: 'application/json' } })
      .then((r) => r.json())
      .then((body) => { if (ticket === latest.current) setVerdict({ ok: !body.message, message: body.message }); })
      .catch(() => { if (ticket === latest.current) setVerdict({ ok: false, message: L('check_failed') }); });
  }
  function commit(text) {
    const current = bo.conditionExpression ? bo.conditionExpression.body || '' : '';
    if (text === current) return;
    services.modeling.updateProperties(element, {
      conditionExpression: text.trim() ? services.bpmnFactory.create('bpmn:FormalExpression', { body: text }) : undefined,
    });
  }
  useEffect(() => { check(value); return () => clearTimeout(timer.current); }, [element]);

  const onInput = (event) => {
    const text = event.target.value;
    setValue(text);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => { commit(text); check(text); }, 300);
  };
  const error = verdict && !verdict.ok;
  return h('div', { class: `bio-properties-panel-entry${error ? ' has-error' : ''}`, 'data-entry-id': id },
    h('label', { class: 'bio-properties-panel-label', for: `bio-properties-panel-${id}` }, L('condition')),
    h('textarea', {
      id: `bio-properties-panel-${id}`, class: 'bio-properties-panel-input', rows: 2, spellcheck: false,
      value, onInput, onBlur: (e) => { clearTimeout(timer.current); commit(e.target.value); check(e.target.value); },
      'aria-invalid': error ? 'true' : 'false', 'data-testid': 'studio-condition',
    }),
    verdict && h('div', {
      class: verdict.ok ? 'studio-condition-ok' : 'bio-properties-panel-error', 'data-testid': 'studio-condition-verdict',
      role: 'status',
    }, verdict.ok ? L('condition_ok') : verdict.message),
    h('div', { class: 'bio-properties-panel-description' }, L('condition_help')));
}

// A choice among `options` ([value, label]) written as a spiffworkflow property; "—" removes it. Cases only: an end
// event's case_outcome (what the statistics count it as), a user task's clock_phase (the limit it starts).
function PropertyChoiceEntry({ element, id, property, label, options }) {
  const services = useServices();
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id, label,
    getValue: () => spiffProperty(bo, property) || '',
    setValue: (value) => setSpiffProperty(element, bo, property, value || null, services),
    getOptions: () => [{ value: '', label: '—' }, ...options.map(([value, text]) => ({ value, label: text }))],
  });
}

function isGatewayFlow(bo) {
  return is(bo, 'bpmn:SequenceFlow') && bo.sourceRef &&
    (is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway')) &&
    bo.sourceRef.default !== bo;
}

function MotCuaProvider(propertiesPanel) {
  propertiesPanel.registerProvider(500, this);
}
MotCuaProvider.$inject = ['propertiesPanel'];
MotCuaProvider.prototype.getGroups = function (element) {
  return (groups) => {
    const bo = getBusinessObject(element);
    const entries = [];
    if (is(bo, 'bpmn:Lane')) {
      entries.push(
        { id: 'motcua-lane-role', component: LanePartEntry, part: 'role', label: L('role'), options: cfg.roles || [],
          isEdited: isSelectEntryEdited },
        { id: 'motcua-lane-anchor', component: LanePartEntry, part: 'anchor', label: L('place'),
          options: cfg.anchors || [], isEdited: isSelectEntryEdited },
        { id: 'motcua-lane-kind', component: LanePartEntry, part: 'kind', label: L('department_kind'),
          options: cfg.departmentKinds || [], isEdited: isSelectEntryEdited });
    } else if (is(bo, 'bpmn:UserTask')) {
      entries.push(
        { id: 'motcua-allocation-unit', component: AllocationUnitEntry, isEdited: isSelectEntryEdited },
        { id: 'motcua-allocation', component: AllocationValueEntry, isEdited: isTextFieldEntryEdited },
        { id: 'motcua-form', component: FormEntry });
      if (cfg.clockPhases && cfg.clockPhases.length) {
        entries.push({ id: 'motcua-clock-phase', component: PropertyChoiceEntry, property: 'clock_phase',
          label: L('clock_phase'), options: cfg.clockPhases, isEdited: isSelectEntryEdited });
      }
    } else if (is(bo, 'bpmn:EndEvent') && cfg.caseOutcomes) {
      entries.push({ id: 'motcua-case-outcome', component: PropertyChoiceEntry, property: 'case_outcome',
        label: L('case_outcome'), options: cfg.caseOutcomes, isEdited: isSelectEntryEdited });
    } else if (isGatewayFlow(bo)) {
      entries.push({ id: 'motcua-condition', component: ConditionEntry, isEdited: (input) => !!(input && input.value) });
    }
    if (entries.length) {
      groups.unshift({ id: 'motcua', label: 'MotCua', entries });
    }
    return groups;
  };
};
const MotCuaPropertiesModule = { __init__: ['motcuaPropertiesProvider'], motcuaPropertiesProvider: ['type', MotCuaProvider] };

// ---------------------------------------------------------------------------------------------------------------
// the form-js editor, in a dialog

let formEditor = null;
async function openFormEditor(element, schema, services) {
  const dialog = document.getElementById('studio-form-dialog');
  const container = dialog.querySelector('[data-form-editor]');
  if (formEditor) formEditor.destroy();
  container.innerHTML = '';
  formEditor = new FormEditor({ container });
  const id = formIdOf(getBusinessObject(element)) || `form_${element.id}`;
  await formEditor.importSchema(schema || { type: 'default', id, schemaVersion: 16, components: [] });
  dialog.querySelector('[data-form-save]').onclick = () => {
    writeForm(element, formEditor.saveSchema(), services);
    dialog.close();
  };
  dialog.showModal();
}

// ---------------------------------------------------------------------------------------------------------------
// the server's problems, drawn on the diagram and listed

let modeler = null;
let marked = [];

function shapeFor(elementId) {
  const registry = modeler.get('elementRegistry');
  if (!elementId) return null;
  const found = registry.get(elementId);
  if (found) return found;
  // a process's problem goes on its pool
  return registry.find((e) => is(e, 'bpmn:Participant') && e.businessObject.processRef &&
    e.businessObject.processRef.id === elementId) || null;
}

function drawProblems(problems) {
  const overlays = modeler.get('overlays');
  const canvas = modeler.get('canvas');
  overlays.remove({ type: 'motcua-problem' });
  marked.forEach((id) => canvas.removeMarker(id, 'motcua-problem'));
  marked = [];
  const list = document.getElementById('studio-problems');
  const summary = document.getElementById('studio-problems-summary');
  list.innerHTML = '';
  const byShape = new Map();
  problems.forEach((problem) => {
    const shape = shapeFor(problem.element_id);
    const item = document.createElement('li');
    item.className = 'studio-problem';
    item.dataset.elementId = problem.element_id || '';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'studio-problem-link';
    const where = shape ? (shape.businessObject.name || shape.id) : (problem.element_id || L('document'));
    button.textContent = where;
    const text = document.createElement('span');
    text.textContent = `: ${problem.message}${problem.line ? ` (${L('line')} ${problem.line})` : ''}`;
    item.append(button, text);
    list.append(item);
    if (!shape) { button.disabled = true; return; }
    button.addEventListener('click', () => {
      modeler.get('selection').select(shape);
      canvas.scrollToElement(shape);
    });
    if (!byShape.has(shape.id)) byShape.set(shape.id, []);
    byShape.get(shape.id).push(problem.message);
  });
  byShape.forEach((messages, id) => {
    canvas.addMarker(id, 'motcua-problem');
    marked.push(id);
    const badge = document.createElement('div');
    badge.className = 'studio-problem-badge';
    badge.dataset.elementId = id;
    badge.setAttribute('role', 'img');
    badge.setAttribute('aria-label', messages.join('; '));
    badge.title = messages.join('\n');
    badge.textContent = messages.length > 1 ? `! ${messages.length}` : '!';
    overlays.add(id, 'motcua-problem', { position: { top: -12, left: -12 }, scale: { min: 1 }, html: badge });
  });
  summary.textContent = problems.length ? L('problems_count').replace('{n}', problems.length) : L('no_problems');
  summary.className = problems.length ? 'studio-problems-summary has-problems' : 'studio-problems-summary';
  document.getElementById('studio').dataset.problems = String(problems.length);
}

// ---------------------------------------------------------------------------------------------------------------
// save, deploy, leave

let dirty = false;

function setStatus(text, kind) {
  const status = document.getElementById('studio-status');
  status.textContent = text;
  status.className = `studio-status${kind ? ` studio-status-${kind}` : ''}`;
}

async function save() {
  const root = document.getElementById('studio');
  root.dataset.saving = '';
  setStatus(L('saving'));
  const { xml } = await modeler.saveXML({ format: true });
  let response;
  let body = {};
  try {
    response = await fetch(cfg.saveUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': cfg.csrfToken },
      body: JSON.stringify({ xml, revision: cfg.revision }),
      credentials: 'same-origin',
    });
    body = await response.json().catch(() => ({}));
  } catch (e) {
    setStatus(L('network_error'), 'error');
    delete root.dataset.saving;
    return false;
  }
  delete root.dataset.saving;
  if (response.ok) {
    cfg.revision = body.revision;
    root.dataset.revision = String(body.revision);
    dirty = false;
    drawProblems(body.problems || []);
    setStatus(body.problems && body.problems.length ? L('saved_with_problems') : L('saved'),
      body.problems && body.problems.length ? 'warning' : 'ok');
    return !(body.problems && body.problems.length);
  }
  if (body.problems && body.problems.length) drawProblems(body.problems);
  else if (body.element_id) drawProblems([{ element_id: body.element_id, message: body.detail, line: null }]);
  setStatus(body.detail || L('save_failed').replace('{status}', response.status), 'error');
  return false;
}

function init() {
  const root = document.getElementById('studio');
  if (!root) return;
  cfg = JSON.parse(document.getElementById('studio-config').textContent);
  const xml = JSON.parse(document.getElementById('studio-xml').textContent);
  // A draft that is submitted, deployed or discarded is only looked at: a viewer (pan, zoom, select), no palette,
  // no properties panel, nothing to lose on leaving.
  const readOnly = !cfg.saveUrl;
  if (readOnly) root.classList.add('studio-readonly');
  modeler = readOnly
    ? new NavigatedViewer({ container: root.querySelector('[data-studio-canvas]'), moddleExtensions: { spiffworkflow, zeebe } })
    : new BpmnModeler({
      container: root.querySelector('[data-studio-canvas]'),
      propertiesPanel: { parent: root.querySelector('[data-studio-properties]') },
      additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, MotCuaPropertiesModule, lintModule],
      moddleExtensions: { spiffworkflow, zeebe },
      linting: { bpmnlint: bpmnlintConfig, active: true },
    });
  root.dataset.mode = readOnly ? 'view' : 'edit';
  window.motcuaStudio = { modeler, save, drawProblems, formEditor: () => formEditor };
  // A file without its drawing (BPMNDI: hand-written or generated, not from a modeler) is laid out by
  // bpmn-auto-layout, so that there is something to edit; the designer saves the drawing with the draft.
  const drawn = /<(\w+:)?BPMNShape\b/.test(xml);
  const laidOut = drawn ? Promise.resolve(xml) : layoutProcess(xml).catch(() => xml);
  laidOut.then((ready) => modeler.importXML(ready)).then(() => {
    // the whole diagram, clear of the palette on the left
    const canvas = modeler.get('canvas');
    const { inner, outer } = canvas.viewbox();
    const left = readOnly ? 20 : 170; // px: the palette's width and a margin
    const scale = Math.min(1, (outer.width - left - 20) / inner.width, (outer.height - 60) / inner.height);
    canvas.viewbox({ x: inner.x - left / scale, y: inner.y - 30 / scale, width: outer.width / scale,
      height: outer.height / scale });
    drawProblems(cfg.problems || []);
    if (!readOnly) modeler.on('commandStack.changed', () => {
      dirty = true;
      setStatus(L('unsaved'), 'warning');
    });
    if (!drawn) {
      root.dataset.laidOut = '';
      if (!readOnly) { dirty = true; setStatus(L('laid_out'), 'warning'); }
    }
    root.dataset.ready = '';
  }).catch((error) => {
    setStatus(`${L('import_failed')}: ${error.message}`, 'error');
    root.dataset.ready = '';
  });

  const saveButton = document.getElementById('studio-save');
  if (saveButton) saveButton.addEventListener('click', () => { save(); });
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 's' && saveButton) { event.preventDefault(); save(); }
  });
  // Deploy / submit: unsaved changes are saved first; the action goes only when the server finds no problem.
  document.querySelectorAll('form[data-studio-action]').forEach((form) => {
    form.addEventListener('submit', async (event) => {
      if (!dirty || !saveButton) return;
      event.preventDefault();
      if (await save()) { form.querySelector('input[name=revision]') && (form.querySelector('input[name=revision]').value = cfg.revision); HTMLFormElement.prototype.submit.call(form); }
    });
  });
  window.addEventListener('beforeunload', (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = ''; }
  });
  const dialog = document.getElementById('studio-form-dialog');
  if (dialog) dialog.querySelector('[data-form-cancel]').addEventListener('click', () => dialog.close());
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
