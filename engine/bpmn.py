"""Loading and validating uploaded BPMN: hardened XML parsing, our modelling rules, SpiffWorkflow parsing.

`validate_bpmn` returns every problem found, each with the line in the uploaded file and the element id, so a
designer can fix a diagram in one round; `compile_bpmn` returns a CompiledProcess or raises BpmnInvalid.

Why the rules: a step that nobody can be routed to (bad lane), code that would run on the server (script tasks,
pre/post scripts, expressions outside the whitelist), or a process whose steps cannot fit in the statutory time
must be refused at upload, not discovered on a live dossier.
"""
import ast
import hashlib
import keyword
import re
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .errors import BpmnInvalid, Problem
from .expressions import check_expression
from .forms import FormSchemaError, parse_form_schema
from .lanes import LaneError, parse_lane
from .runner import dump_spec

__all__ = [
    "Problem", "BpmnInvalid", "StepInfo", "CompiledProcess", "validate_bpmn", "compile_bpmn",
    "MAX_BYTES", "MAX_DEPTH", "MAX_ELEMENTS", "MAX_PATHS", "ZEEBE_NS", "FORM_KEY_PREFIX", "load_problems",
]

# Caps. A real procedure diagram (with its drawing) is tens of KB, a few hundred elements, depth < 12.
MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_ELEMENTS = 20_000
MAX_PATHS = 10_000
# Bounds the path search itself (work, not only finished paths), so a maze of loops cannot stall an upload.
MAX_PATH_STEPS = 500_000
MAX_EXPRESSION_CHARS = 4_000
MAX_INSTANCES = 100  # parallel instances of one multi-instance step; each is a task row in the state
MAX_STATUTORY_LIMIT = Decimal(3660)
HOURS_PER_DAY = Decimal(8)
CLOCK_PHASE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
# Step forms: Camunda 8's embedded form-js forms (what Camunda Modeler writes): the schema's JSON is the text of a
# zeebe:userTaskForm in the process's extensionElements, and a user task links it with
# <zeebe:formDefinition formKey="camunda-forms:bpmn:ID"/>. SpiffWorkflow ignores both; we read them here.
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
FORM_KEY_PREFIX = "camunda-forms:bpmn:"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "zeebe": ZEEBE_NS}

# Other modelers' extensions (see _Checker._check_extensions). Camunda 7 (and its forks Activiti / Flowable, same
# attribute names), Camunda 8 (Zeebe), Signavio.
CAMUNDA_NAMESPACES = {CAMUNDA_NS, "http://activiti.org/bpmn", "http://flowable.org/bpmn"}
SIGNAVIO_NAMESPACES = {"http://www.signavio.com"}
# zeebe:userTask only marks a Camunda-8.5+ "Zeebe user task"; zeebe:versionTag is a label; properties are metadata.
ZEEBE_IGNORED = {"userTaskForm", "formDefinition", "properties", "property", "userTask", "versionTag"}
ZEEBE_REFUSED = {
    "taskDefinition": "a Camunda 8 job worker (service) definition; service tasks are not allowed",
    "ioMapping": "a Camunda 8 input/output mapping (FEEL); MotCua does not map variables",
    "executionListeners": "a Camunda 8 execution listener (code run by a job worker)",
    "taskListeners": "a Camunda 8 task listener (code run by a job worker)",
    "script": "a Camunda 8 script; scripts are not allowed",
    "calledElement": "a Camunda 8 call activity target; call activities are not supported",
    "assignmentDefinition": "a Camunda 8 assignment; the lane (ROLE@PLACE) decides who does the step",
    "taskSchedule": "a Camunda 8 due date; use allocation_days / allocation_hours",
    "subscription": "a Camunda 8 message subscription (FEEL correlation); use a signal event",
    "loopCharacteristics": "a Camunda 8 multi-instance definition (FEEL); use bpmn:multiInstanceLoopCharacteristics",
    "calledDecision": "a Camunda 8 DMN decision; business rule tasks are not supported",
}
CAMUNDA_IGNORED = {"properties", "property"}  # generic key/value metadata: not read by any engine on its own
CAMUNDA_REFUSED = {
    "executionListener": "a Camunda 7 execution listener (a script or Java code)",
    "taskListener": "a Camunda 7 task listener (a script or Java code)",
    "script": "a Camunda 7 script; scripts are not allowed",
    "inputOutput": "a Camunda 7 input/output mapping; MotCua does not map variables",
    "connector": "a Camunda 7 connector (a call to another system)",
    "field": "a Camunda 7 field injection into Java code",
    "formData": "a Camunda 7 generated form; use a form-js form (zeebe:userTaskForm, see the README)",
    "in": "a Camunda 7 call activity variable mapping; call activities are not supported",
    "out": "a Camunda 7 call activity variable mapping; call activities are not supported",
    "failedJobRetryTimeCycle": "a Camunda 7 job retry setting; MotCua does not run jobs",
    "errorEventDefinition": "a Camunda 7 external-task error mapping",
}
CAMUNDA_CODE_ATTRIBUTES = {"class", "delegateExpression", "expression", "resultVariable", "topic", "type",
                           "decisionRef", "calledElement"}
SIGNAVIO_IGNORED = {"signavioMetaData", "signavioDiagramMetaData", "signavioLabel", "signavioType"}

UNITS = ("working_days", "calendar_days", "same_day")
# What a case's end event means for the statistics (property case_outcome): decided or answered, not accepted
# (refused, or more information asked of the citizen), forwarded to the competent body.
CASE_OUTCOMES = ("resolved", "not_accepted", "forwarded")
DOCTYPE_MESSAGE = "DOCTYPE declarations are not allowed (XXE / entity expansion)"

_DECIMAL = re.compile(r"[0-9]{1,7}(\.[0-9]{1,4})?")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ISO_DURATION = re.compile(r"R?\d*/?P[0-9YMWDTHS.,]+", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(r"""\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def _q(name):
    return f"{{{BPMN_NS}}}{name}"


# Flow nodes we run. Everything else that can sit in a process is refused below with a reason.
ALLOWED_NODES = {
    "startEvent", "endEvent", "userTask", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
    "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
}
HUMAN_ONLY = "human steps are bpmn:userTask elements with a lane and an allocation"
REFUSED_NODES = {
    "scriptTask": "script tasks are not allowed; use a whitelisted function in a condition or timer",
    "serviceTask": "service tasks are not allowed (no service operator is whitelisted yet)",
    "businessRuleTask": "business rule (DMN) tasks are not supported",
    "sendTask": "send tasks are not supported; use a signal event",
    "receiveTask": "receive tasks are not supported; use a signal event",
    "manualTask": f"manual tasks are not supported; {HUMAN_ONLY}",
    "task": f"untyped tasks are not supported; {HUMAN_ONLY}",
    "callActivity": "call activities are not supported yet; draw the steps in this process",
    "subProcess": "sub-processes are not supported yet; draw the steps in this process",
    "transaction": "transactions (sub-processes) are not supported yet; draw the steps in this process",
    "adHocSubProcess": "ad-hoc sub-processes are not supported yet; draw the steps in this process",
    "complexGateway": "complex gateways are not supported; use an exclusive or inclusive gateway",
}
# Direct children of a process that are not flow nodes (the drawing's notes, data, lanes...).
NOT_FLOW_NODES = {
    "sequenceFlow", "laneSet", "extensionElements", "documentation", "ioSpecification", "property",
    "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "group",
    "category", "auditing", "monitoring", "correlationSubscription", "supports",
}
# Elements an expression hangs off that are not what a designer would call "the element".
_NOT_OWNERS = {
    "conditionExpression", "formalExpression", "timeDate", "timeDuration", "timeCycle", "loopCardinality",
    "completionCondition", "loopCondition", "condition", "extensionElements", "properties",
    "multiInstanceLoopCharacteristics", "standardLoopCharacteristics",
}


@dataclass(frozen=True)
class StepInfo:
    bpmn_id: str
    name: str | None
    lane: str | None
    allocation_days: Decimal | None
    allocation_hours: Decimal | None
    legal_extension_days: Decimal | None
    required_fields: tuple
    # The step's form-js schema (the JSON object, checked by engine.forms.parse_form_schema), None without a form.
    form: dict | None = field(default=None, hash=False)
    # The clock phase this step starts when it becomes ready (a case's acceptance, resolution…), None: none.
    clock_phase: str | None = None


@dataclass(frozen=True)
class CompiledProcess:
    process_id: str
    name: str
    spec_json: str
    checksum: str
    statutory_limit: Decimal
    statutory_unit: str
    procedure_code: str | None
    steps: tuple
    # (end event id, its case_outcome or None) for each end event of the process, in document order.
    end_events: tuple = ()

    @property
    def end_outcomes(self):
        """{end event id: case_outcome} of the end events that declare one."""
        return {end_id: outcome for end_id, outcome in self.end_events if outcome}


def validate_bpmn(xml: bytes, filename="<upload>", known_department_kinds=None) -> list[Problem]:
    """Every problem of the file, in line order; an empty list means compile_bpmn will succeed."""
    problems, _ = _analyse(xml, filename, known_department_kinds, build=False)
    return problems


def compile_bpmn(xml: bytes, filename="<upload>", known_department_kinds=None) -> CompiledProcess:
    """Validates, then serializes the process spec once for this version. Raises BpmnInvalid(problems)."""
    problems, compiled = _analyse(xml, filename, known_department_kinds, build=True)
    if problems:
        raise BpmnInvalid(problems)
    return compiled


def load_problems(xml) -> list[Problem]:
    """Only the hardened loader's verdict: [] when the bytes are a well-formed, safe BPMN document (whatever its
    modelling problems), else the one problem why not (too big, not UTF-8, not XML, DOCTYPE/entities, too deep,
    not bpmn:definitions). The studio stores a draft only when this is empty: never keep hostile XML."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if not isinstance(xml, (bytes, bytearray, memoryview)):
        return [Problem(None, None, f"expected the BPMN file as bytes, got {type(xml).__name__}")]
    _tree, problems = _load_tree(bytes(xml))
    return problems


# ---------------------------------------------------------------------------------------------------------------
# orchestration


def _analyse(xml, filename, known_department_kinds, build):
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if not isinstance(xml, (bytes, bytearray, memoryview)):
        return [Problem(None, None, f"expected the BPMN file as bytes, got {type(xml).__name__}")], None
    xml = bytes(xml)
    tree, problems = _load_tree(xml)
    if tree is None:
        return problems, None
    checker = _Checker(tree, known_department_kinds)
    checker.run()
    problems = checker.problems
    spec = subprocess_specs = None
    if checker.process is not None:
        spec, subprocess_specs, spiff_problems = _spiff_parse(tree, filename, checker)
        # Our own checks say it better; SpiffWorkflow's first error on the same element would only repeat it.
        problems += [p for p in spiff_problems if p.element_id is None or p.element_id not in checker.related]
    problems.sort(key=lambda p: (p.line if p.line is not None else 0))
    if problems or not build:
        return problems, None
    try:
        spec_json = dump_spec(spec, subprocess_specs)
    except Exception as exc:  # the serializer is library code: report, never leak a traceback
        return [Problem(None, checker.process_id, f"the process could not be serialized: {_describe(exc)}")], None
    return [], CompiledProcess(
        process_id=checker.process_id,
        name=checker.process.get("name") or checker.process_id,
        spec_json=spec_json,
        checksum=hashlib.sha256(xml).hexdigest(),
        statutory_limit=checker.statutory_limit,
        statutory_unit=checker.statutory_unit,
        procedure_code=checker.procedure_code,
        steps=tuple(checker.steps),
        end_events=tuple(checker.end_events),
    )


def _describe(exc):
    text = str(exc.args[0]) if getattr(exc, "args", None) else str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------------------------
# hardened XML loading


def _line_at(text, index):
    return text.count("\n", 0, index) + 1


def _load_tree(xml):
    """Parses with our own locked-down lxml parser; returns (tree, []) or (None, [problem])."""
    if len(xml) > MAX_BYTES:
        limit = f"{MAX_BYTES // (1024 * 1024)} MB"
        return None, [Problem(None, None, f"the file is {len(xml)} bytes; the limit is {limit}")]
    if not xml.strip():
        return None, [Problem(None, None, "the file is empty")]
    # UTF-8 only: the DOCTYPE scan below must see the same characters the XML parser will see; a UTF-16 or
    # EBCDIC file would hide '<!DOCTYPE' from a byte scan.
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = xml.count(b"\n", 0, exc.start) + 1
        return None, [Problem(line, None, "the file is not valid UTF-8; save the BPMN file as UTF-8")]
    declared = _XML_DECL_ENCODING.match(text.lstrip("\ufeff"))
    if declared and declared.group(1).strip().lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii", "ascii"):
        return None, [Problem(1, None, f"the file declares encoding {declared.group(1)!r}; only UTF-8 is accepted")]
    # Refuse before parsing: the parser never sees an entity declaration, so nothing is expanded or fetched.
    found = _DOCTYPE.search(text)
    if found:
        return None, [Problem(_line_at(text, found.start()), None, DOCTYPE_MESSAGE)]

    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )
    count = depth = 0
    try:
        # Streamed so that the caps stop a hostile file before it is all built in memory.
        for offset in range(0, len(xml), 65536):
            parser.feed(xml[offset:offset + 65536])
            for event, element in parser.read_events():
                if event == "end":
                    depth -= 1
                    continue
                count += 1
                depth += 1
                if count > MAX_ELEMENTS:
                    return None, [Problem(element.sourceline, None,
                                          f"the file has more than {MAX_ELEMENTS} XML elements")]
                if depth > MAX_DEPTH:
                    return None, [Problem(element.sourceline, None,
                                          f"XML elements are nested deeper than {MAX_DEPTH} levels")]
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = re.sub(r",? line \d+, column \d+\s*(\(.*\))?$", "", exc.msg or str(exc)).strip()
        return None, [Problem(line, None, f"malformed XML: {message}")]
    except Exception as exc:  # lxml can raise other errors on odd input; report them as problems
        return None, [Problem(None, None, f"the file could not be read as XML: {_describe(exc)}")]
    tree = root.getroottree()
    if tree.docinfo.doctype:  # second line of defence, should the scan above ever miss a spelling
        return None, [Problem(1, None, DOCTYPE_MESSAGE)]
    if root.tag != _q("definitions"):
        return None, [Problem(root.sourceline, root.get("id"),
                              f"the root element is {_short(root.tag)}, not bpmn:definitions "
                              f"(namespace {BPMN_NS})")]
    return tree, []


def _local(element):
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _short(tag):
    if not isinstance(tag, str):
        return str(tag)
    for prefix, uri in (("bpmn", BPMN_NS), ("spiffworkflow", SPIFF_NS), ("camunda", CAMUNDA_NS), ("zeebe", ZEEBE_NS)):
        if tag.startswith(f"{{{uri}}}"):
            return f"{prefix}:{tag[len(uri) + 2:]}"
    return tag


def _label(element):
    """How a message names an element: its id, and its name when it has one."""
    name = element.get("name")
    return f"'{element.get('id')}' ({name})" if name else f"'{element.get('id')}'"


# ---------------------------------------------------------------------------------------------------------------
# our rules


class _Checker:
    def __init__(self, tree, known_department_kinds):
        self.tree = tree
        self.root = tree.getroot()
        self.kinds = set(known_department_kinds) if known_department_kinds is not None else None
        self.problems = []
        self.related = set()
        self.process = None
        self.process_id = None
        self.statutory_limit = None
        self.statutory_unit = None
        self.procedure_code = None
        self.steps = []
        self.end_events = []  # (end event id, case_outcome or None)
        self.ids = {}
        self.nodes = {}  # flow node id -> element, in the executable process
        self.hours = {}  # user task id -> allocation in office hours
        self.extensions = {}  # node id -> legal extension in office hours
        self.phases = {}  # user task id -> the clock phase it starts
        self.forms = {}  # zeebe:userTaskForm id -> element, declared on the executable process

    def add(self, element, message, element_id=None, line=None, related=()):
        """`related`: other ids this problem is about, so SpiffWorkflow's report on them is not repeated."""
        if line is None and element is not None:
            line = element.sourceline
        if element_id is None and element is not None:
            element_id = element.get("id")
        self.problems.append(Problem(line, element_id, message))
        self.related.update(i for i in (element_id, *related) if i)

    def run(self):
        self._index_ids()
        if not self._pick_process():
            return
        process = self.process
        self._check_nodes(process)
        self._check_scripts(process)
        self._check_extensions(process)
        self._check_flows(process)
        self._check_gateways(process)
        self._check_expressions(process)
        self._check_case_outcomes(process)
        process_ok = self._check_process_properties(process)
        self._index_forms(process)
        tasks_ok = self._check_user_tasks(process)
        if process_ok and tasks_ok:
            self._check_budget(process)

    # -- identity and the one executable process ---------------------------------------------------------------

    def _index_ids(self):
        for element in self.root.iter():
            element_id = element.get("id") if isinstance(element.tag, str) else None
            if element_id is None:
                continue
            if element_id in self.ids:
                first = self.ids[element_id]
                self.add(element, f"duplicate id '{element_id}' (first used on line {first.sourceline}); "
                                  f"every id must be unique")
            else:
                self.ids[element_id] = element

    def _pick_process(self):
        processes = self.root.findall("bpmn:process", NS)
        if not processes:
            self.add(self.root, "the file has no bpmn:process")
            return False
        executable = [p for p in processes if p.get("isExecutable") == "true"]
        if not executable:
            for process in processes:
                self.add(process, f"process {_label(process)} is not executable; mark exactly one process "
                                  f'isExecutable="true"')
            return False
        if len(executable) > 1:
            ids = ", ".join(p.get("id") or "?" for p in executable)
            for process in executable:
                self.add(process, f"{len(executable)} processes are marked executable ({ids}); exactly one may be")
            return False
        self.process = executable[0]
        self.process_id = self.process.get("id")
        if not self.process_id:
            self.add(self.process, "the executable process has no id")
            self.process = None
            return False
        for element in self.process:
            if isinstance(element.tag, str) and element.tag.startswith(f"{{{BPMN_NS}}}") and element.get("id"):
                if _local(element) not in NOT_FLOW_NODES:
                    self.nodes[element.get("id")] = element
        return True

    # -- element kinds -------------------------------------------------------------------------------------------

    def _check_nodes(self, process):
        for element in process:
            local = _local(element)
            if local in REFUSED_NODES:
                self.add(element, f"{_short(element.tag)} {_label(element)}: {REFUSED_NODES[local]}")
            elif element.get("id") in self.nodes and local not in ALLOWED_NODES:
                self.add(element, f"{_short(element.tag)} {_label(element)} is not supported here")
        starts = process.findall("bpmn:startEvent", NS)
        if not starts:
            self.add(process, f"process {_label(process)} has no start event")

    def _check_scripts(self, process):
        for script in process.iter(f"{{{SPIFF_NS}}}preScript", f"{{{SPIFF_NS}}}postScript"):
            if not (script.text or "").strip():
                continue  # an empty script runs nothing
            owner = _owner(script)
            self.add(script, f"{_short(script.tag)} on {_label(owner) if owner is not None else 'an element'}: "
                             f"scripts are not allowed; use a whitelisted function in a condition or timer",
                     element_id=owner.get("id") if owner is not None else None)

    def _check_extensions(self, process):
        """Other modelers' extensions (README, BPMN conventions): SpiffWorkflow ignores them all, so one that would
        change execution elsewhere (listeners, scripts, I/O mappings, connectors, job workers, generated forms)
        would silently not run here: refused, naming the element. Known documentation-only extensions are ignored;
        an extension element of any other namespace is refused, since we cannot tell whether it matters."""
        for element in process.iter():
            tag = element.tag
            if not isinstance(tag, str):
                continue
            parent = element.getparent()
            if element is not process and parent is not None and (
                    not parent.tag.startswith(f"{{{BPMN_NS}}}") or _local(parent) in ("documentation", "text")):
                continue  # the content of an extension element, or markup in a text, is judged with its holder
            if not tag.startswith("{"):
                self._refuse_extension(element, f"element <{tag}> has no namespace")
                continue
            uri, local = tag[1:].split("}", 1)
            if uri == BPMN_NS:
                self._check_engine_attributes(element)
                continue
            if uri == SPIFF_NS:
                continue  # our own convention; scripts are refused by _check_scripts
            if uri == ZEEBE_NS:
                if local in ZEEBE_IGNORED:
                    continue
                reason = ZEEBE_REFUSED.get(local, "a Camunda 8 (Zeebe) extension MotCua does not run")
            elif uri in CAMUNDA_NAMESPACES:
                if local in CAMUNDA_IGNORED:
                    continue
                reason = CAMUNDA_REFUSED.get(local, "a Camunda 7 extension MotCua does not run")
            elif uri in SIGNAVIO_NAMESPACES:
                if local in SIGNAVIO_IGNORED:
                    continue
                reason = "a Signavio extension that is not documentation-only; MotCua does not run it"
            else:
                reason = (f"an extension of namespace {uri!r}, which MotCua does not know: it cannot tell whether it "
                          f"changes execution; remove it")
            self._refuse_extension(element, f"{_short(tag)} is {reason}")

    def _refuse_extension(self, element, message):
        owner = _owner(element)
        where = f" on {_label(owner)}" if owner is not None else ""
        self.add(element, f"{message}{where}", element_id=owner.get("id") if owner is not None else None)

    def _check_engine_attributes(self, element):
        """Camunda/Activiti/Flowable attributes that name code to run (a Java class, a delegate, a script...)."""
        if _local(element) in REFUSED_NODES:
            return  # the element itself is refused, with its reason
        for name in element.attrib:
            if not name.startswith("{"):
                continue
            uri, local = name[1:].split("}", 1)
            if uri in CAMUNDA_NAMESPACES and local in CAMUNDA_CODE_ATTRIBUTES:
                where = _label(element) if element.get("id") else "an element"
                self.add(element, f"{_short(name)}={element.get(name)!r} on {where} names code to run; MotCua runs "
                                  f"no code from diagrams (use a whitelisted function in a condition or timer)")

    def _check_flows(self, process):
        for flow in process.findall("bpmn:sequenceFlow", NS):
            for end in ("sourceRef", "targetRef"):
                ref = flow.get(end)
                if not ref:
                    self.add(flow, f"sequence flow {_label(flow)} has no {end}")
                elif ref not in self.nodes:
                    self.add(flow, f"sequence flow {_label(flow)}: {end} '{ref}' is not an element of process "
                                   f"'{self.process_id}'")
        for boundary in process.findall("bpmn:boundaryEvent", NS):
            attached = boundary.get("attachedToRef")
            if not attached or attached not in self.nodes:
                self.add(boundary, f"boundary event {_label(boundary)} is attached to unknown element "
                                   f"'{attached}'")

    def _outgoing(self, process):
        outgoing = {}
        for flow in process.findall("bpmn:sequenceFlow", NS):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        return outgoing

    def _check_gateways(self, process):
        outgoing = self._outgoing(process)
        for gateway in process:
            if _local(gateway) not in ("exclusiveGateway", "inclusiveGateway"):
                continue
            flows = outgoing.get(gateway.get("id"), [])
            default = gateway.get("default")
            flow_ids = {f.get("id") for f in flows}
            if default and default not in flow_ids:
                self.add(gateway, f"gateway {_label(gateway)}: default flow '{default}' is not one of its outgoing "
                                  f"flows ({', '.join(sorted(i for i in flow_ids if i)) or 'none'})")
            if len(flows) <= 1:
                continue
            for flow in flows:
                if flow.get("id") == default or _condition_text(flow):
                    continue
                hint = "add a condition to it" + ("" if default else " or make it the gateway's default flow")
                self.add(gateway, f"gateway {_label(gateway)}: outgoing flow '{flow.get('id')}' has no condition "
                                  f"and is not the default flow; {hint}", related=[flow.get("id")])

    # -- expressions ---------------------------------------------------------------------------------------------

    def _check_expressions(self, process):
        found = []  # (element holding the text, kind)
        xp = process.xpath
        found += [(e, "condition") for e in xp("./bpmn:sequenceFlow/bpmn:conditionExpression", namespaces=NS)]
        found += [(e, "timer") for e in xp(".//bpmn:timerEventDefinition/bpmn:timeDate"
                                           " | .//bpmn:timerEventDefinition/bpmn:timeDuration"
                                           " | .//bpmn:timerEventDefinition/bpmn:timeCycle", namespaces=NS)]
        found += [(e, "multi-instance") for e in xp(".//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality"
                                                    " | .//bpmn:multiInstanceLoopCharacteristics/"
                                                    "bpmn:completionCondition", namespaces=NS)]
        found += [(e, "loop condition") for e in xp(".//bpmn:standardLoopCharacteristics/bpmn:loopCondition",
                                                    namespaces=NS)]
        found += [(e, "conditional event") for e in xp(".//bpmn:conditionalEventDefinition/bpmn:condition",
                                                       namespaces=NS)]
        found += [(e, "message payload") for e in xp(".//spiffworkflow:messagePayload", namespaces=NS)]
        found += [(e, "correlation") for e in xp(".//spiffworkflow:processVariableCorrelation/"
                                                 "spiffworkflow:expression", namespaces=NS)]
        # Payloads and correlations are declared once for the file, outside the process.
        root_xp = self.root.xpath
        found += [(e, "payload") for e in root_xp("./bpmn:signal/bpmn:extensionElements/spiffworkflow:payloadExpression"
                                                  " | ./bpmn:error/bpmn:extensionElements/"
                                                  "spiffworkflow:payloadExpression"
                                                  " | ./bpmn:escalation/bpmn:extensionElements/"
                                                  "spiffworkflow:payloadExpression", namespaces=NS)]
        found += [(e, "message payload") for e in root_xp("./bpmn:message//spiffworkflow:messagePayload",
                                                          namespaces=NS)]
        found += [(e, "correlation") for e in root_xp("./bpmn:correlationProperty/"
                                                      "bpmn:correlationPropertyRetrievalExpression/"
                                                      "bpmn:formalExpression", namespaces=NS)]
        for element, kind in found:
            self._check_expression(element, kind)
        for ref in xp(".//bpmn:multiInstanceLoopCharacteristics/bpmn:loopDataInputRef", namespaces=NS):
            if not _IDENTIFIER.fullmatch((ref.text or "").strip()):
                owner = _owner(ref)
                self.add(ref, f"multi-instance collection {ref.text!r} on {_label(owner)} must be a variable name",
                         element_id=owner.get("id") if owner is not None else None)

    def _check_expression(self, element, kind):
        owner = _owner(element)
        owner_id = owner.get("id") if owner is not None else None
        where = f"{kind} on {_label(owner)}" if owner is not None else kind
        source = (element.text or "").strip()
        if not source:
            if kind != "condition":  # an empty condition is reported as a missing one by the gateway check
                self.add(element, f"{where} is empty", element_id=owner_id)
            return
        if len(source) > MAX_EXPRESSION_CHARS:
            self.add(element, f"{where} is {len(source)} characters long; the limit is {MAX_EXPRESSION_CHARS}",
                     element_id=owner_id)
            return
        if source.startswith(("${", "#{")):
            self.add(element, f"{where}: {source!r} looks like a Camunda (JUEL) expression; write a Python "
                              f"expression such as approved == True", element_id=owner_id)
            return
        if kind == "timer" and _ISO_DURATION.fullmatch(source):
            self.add(element, f"{where}: {source!r} is evaluated as Python; quote it (\"{source}\") or better use "
                              f"a working-day function such as add_working_days(received_at, 5)",
                     element_id=owner_id)
            return
        if element.tag == _q("loopCardinality") and not _bounded_cardinality(source):
            self.add(element, f"{where}: the number of instances must be bounded: write a whole number up to "
                              f"{MAX_INSTANCES} or min(..., N) with N up to {MAX_INSTANCES}, e.g. min(copies, 20)",
                     element_id=owner_id)
        try:
            messages = check_expression(source)
        except Exception as exc:  # a checker bug must not take the upload down
            messages = [f"the expression could not be checked ({_describe(exc)})"]
        for message in messages:
            self.add(element, f"{where}: {message}", element_id=owner_id)

    # -- properties ---------------------------------------------------------------------------------------------

    def _properties(self, element):
        """name -> (value, property element); problems for what SpiffWorkflow would misread or crash on."""
        holders = element.findall("bpmn:extensionElements/spiffworkflow:properties", NS)
        if len(holders) > 1:
            self.add(holders[1], f"{_label(element)} has {len(holders)} spiffworkflow:properties blocks; "
                                 f"SpiffWorkflow keeps only the last: merge them", element_id=element.get("id"))
        properties = {}
        for holder in holders[-1:]:
            for prop in holder.iter(f"{{{SPIFF_NS}}}property"):
                name, value = prop.get("name"), prop.get("value")
                if name is None or value is None:
                    self.add(prop, f"a spiffworkflow:property of {_label(element)} lacks its name or value "
                                   f"attribute", element_id=element.get("id"))
                    continue
                if name in properties:
                    self.add(prop, f"property '{name}' is set twice on {_label(element)}",
                             element_id=element.get("id"))
                properties[name] = (value, prop)
        return properties

    def _decimal(self, element, properties, name, positive=False, maximum=None):
        """The property as a Decimal, None when absent; adds a problem and returns False when invalid."""
        if name not in properties:
            return None
        value, prop = properties[name]
        text = value.strip()
        if not _DECIMAL.fullmatch(text):
            self.add(prop, f"property {name}={value!r} on {_label(element)} must be a non-negative decimal "
                           f"number such as 2 or 0.5", element_id=element.get("id"))
            return False
        number = Decimal(text)
        if positive and number <= 0:
            self.add(prop, f"property {name} on {_label(element)} must be greater than 0",
                     element_id=element.get("id"))
            return False
        if maximum is not None and number > maximum:
            self.add(prop, f"property {name}={value} on {_label(element)} is more than {maximum}",
                     element_id=element.get("id"))
            return False
        return number

    def _check_process_properties(self, process):
        properties = self._properties(process)
        ok = True
        limit = self._decimal(process, properties, "statutory_limit", maximum=MAX_STATUTORY_LIMIT)
        if limit is None:
            self.add(process, f"process {_label(process)} lacks the property statutory_limit (the legal time "
                              f"limit, a number)")
        unit_value = properties.get("statutory_unit", (None, None))[0]
        unit = unit_value.strip() if unit_value is not None else None
        if unit is None:
            self.add(process, f"process {_label(process)} lacks the property statutory_unit "
                              f"({' | '.join(UNITS)})")
            ok = False
        elif unit not in UNITS:
            self.add(properties["statutory_unit"][1], f"statutory_unit {unit_value!r} must be one of "
                                                      f"{', '.join(UNITS)}", element_id=self.process_id)
            ok = False
        if limit is None or limit is False:
            return False
        if unit == "same_day" and limit != 0:
            self.add(properties["statutory_limit"][1], f"statutory_unit same_day requires statutory_limit 0, "
                                                       f"not {limit}", element_id=self.process_id)
            ok = False
        if unit == "calendar_days" and limit != limit.to_integral_value():
            self.add(properties["statutory_limit"][1], f"a limit in calendar_days must be a whole number, "
                                                       f"not {limit}", element_id=self.process_id)
            ok = False
        code = properties.get("procedure_code", (None, None))[0]
        self.procedure_code = code.strip() or None if code is not None else None
        self.statutory_limit, self.statutory_unit = limit, unit
        for element in process:
            if _local(element) != "userTask" and element.get("id") in self.nodes:
                self._refuse_task_properties(element)
        return ok

    def _refuse_task_properties(self, element):
        for definition in element.findall("bpmn:extensionElements/zeebe:formDefinition", NS):
            self.add(definition, f"zeebe:formDefinition on {_short(element.tag)} {_label(element)} has no effect: "
                                 f"only user tasks have a form", element_id=element.get("id"))
        properties = self._properties(element) if element.find("bpmn:extensionElements", NS) is not None else {}
        for name in ("allocation_days", "allocation_hours", "required_fields", "clock_phase"):
            if name in properties:
                self.add(properties[name][1], f"{name} on {_short(element.tag)} {_label(element)} has no effect: "
                                              f"only user tasks carry it", element_id=element.get("id"))
        if "legal_extension_days" in properties:
            # The platform applies an extension when a *user task* becomes ready (it cannot see engine-only
            # nodes pass), so elsewhere it would count in the budget check but never move the due time.
            self.add(properties["legal_extension_days"][1],
                     f"legal_extension_days on {_short(element.tag)} {_label(element)}: put it on the first user task "
                     f"of the extended branch (extensions are applied when a user task becomes ready)",
                     element_id=element.get("id"))

    def _check_case_outcomes(self, process):
        """The case_outcome property: only on end events (what the case's end means for the statistics), one of
        CASE_OUTCOMES. Whether a procedure needs it on every end is the platform's rule (cases do)."""
        for prop in process.iter(f"{{{SPIFF_NS}}}property"):
            if prop.get("name") != "case_outcome":
                continue
            owner = _owner(prop)
            if owner is None or _local(owner) != "endEvent":
                where = f"{_short(owner.tag)} {_label(owner)}" if owner is not None else "an element"
                self.add(prop, f"case_outcome on {where} has no effect: only end events carry it",
                         element_id=owner.get("id") if owner is not None else None)
            elif (prop.get("value") or "").strip() not in CASE_OUTCOMES:
                self.add(prop, f"case_outcome {prop.get('value')!r} of end event {_label(owner)} must be one of "
                               f"{', '.join(CASE_OUTCOMES)}", element_id=owner.get("id"))
        for end in process.findall("bpmn:endEvent", NS):
            values = [(p.get("value") or "").strip() for p in end.iter(f"{{{SPIFF_NS}}}property")
                      if p.get("name") == "case_outcome"]
            outcome = values[-1] if values and values[-1] in CASE_OUTCOMES else None
            self.end_events.append((end.get("id"), outcome))

    # -- user tasks ---------------------------------------------------------------------------------------------

    def _lanes(self, process):
        """flow node id -> lane element, like SpiffWorkflow: the lane holding the flowNodeRef, last one wins."""
        lanes = {}
        for ref in process.iter(_q("flowNodeRef")):
            text = ref.text or ""
            if text != text.strip():
                self.add(ref, f"flowNodeRef {text!r} has spaces around the id; SpiffWorkflow would not match it",
                         element_id=ref.getparent().get("id"))
            lanes[text] = ref.getparent()
        return lanes

    def _check_user_tasks(self, process):
        lanes = self._lanes(process)
        ok = True
        for task in process.findall("bpmn:userTask", NS):
            task_id = task.get("id")
            if not task_id:
                self.add(task, "a user task has no id")
                ok = False
                continue
            lane_name = self._check_lane(task, lanes.get(task_id))
            properties = self._properties(task)
            days = self._decimal(task, properties, "allocation_days", positive=True, maximum=MAX_STATUTORY_LIMIT)
            hours = self._decimal(task, properties, "allocation_hours", positive=True,
                                  maximum=MAX_STATUTORY_LIMIT * HOURS_PER_DAY)
            extension = self._decimal(task, properties, "legal_extension_days", maximum=MAX_STATUTORY_LIMIT)
            if days is False or hours is False or extension is False:
                ok = False
            elif days is None and hours is None:
                self.add(task, f"user task {_label(task)} needs exactly one of the properties allocation_days or "
                               f"allocation_hours (its share of the statutory time)")
                ok = False
            elif days is not None and hours is not None:
                self.add(properties["allocation_hours"][1], f"user task {_label(task)} has both allocation_days and "
                                                            f"allocation_hours; keep one", element_id=task_id)
                ok = False
            else:
                self.hours[task_id] = days * HOURS_PER_DAY if days is not None else hours
            if extension:
                self.extensions[task_id] = extension * HOURS_PER_DAY
            phase = self._clock_phase(task, properties)
            if phase is False:
                ok = False
            else:
                self.phases[task_id] = phase
            fields = self._required_fields(task, properties)
            form = self._step_form(task, fields)
            self.steps.append(StepInfo(
                bpmn_id=task_id, name=task.get("name"), lane=lane_name,
                allocation_days=days or None, allocation_hours=hours or None,
                legal_extension_days=extension if extension not in (None, False) else None,
                required_fields=fields, form=form, clock_phase=phase or None,
            ))
        return ok

    def _clock_phase(self, task, properties):
        """The clock_phase property: a name of the procedure's clock phases (checked against the catalogue when the
        version is deployed); None without one, False when malformed."""
        if "clock_phase" not in properties:
            return None
        value, element = properties["clock_phase"]
        if not CLOCK_PHASE_NAME.fullmatch(value or ""):
            self.add(element, f"clock_phase {value!r} of user task {_label(task)} must be a lower-case name "
                              f"(a-z, 0-9, _; at most 40 characters)", element_id=task.get("id"))
            return False
        return value

    def _check_lane(self, task, lane):
        if lane is None:
            camunda = [a for a in ("assignee", "candidateGroups", "candidateUsers") if task.get(f"{{{CAMUNDA_NS}}}{a}")]
            verb = "is" if len(camunda) == 1 else "are"
            hint = (f" (camunda:{', camunda:'.join(camunda)} {verb} ignored here: the lane decides who does the step)"
                    if camunda else "")
            self.add(task, f"user task {_label(task)} is in no lane; put it in a lane named ROLE@PLACE, "
                           f"e.g. specialist@parent/labour{hint}")
            return None
        name = lane.get("name")
        try:
            route = parse_lane(name)
        except LaneError as exc:
            self.add(task, f"user task {_label(task)} is in lane '{lane.get('id')}' whose name is not a route: "
                           f"{exc.message}")
            return name
        if self.kinds is not None and route.department_kind and route.department_kind not in self.kinds:
            known = ", ".join(sorted(self.kinds)) or "none"
            self.add(task, f"user task {_label(task)} is in lane {name!r}: no unit has a department of kind "
                           f"'{route.department_kind}' (known kinds: {known})")
        return name

    def _required_fields(self, task, properties):
        if "required_fields" not in properties:
            return ()
        value, prop = properties["required_fields"]
        if not value.strip():
            return ()
        fields = tuple(part.strip() for part in value.split(","))
        for field in fields:
            if not _FIELD.fullmatch(field) or keyword.iskeyword(field):
                self.add(prop, f"required_fields of {_label(task)}: {field!r} is not a field name (letters, digits "
                               f"and '_', starting with a letter, at most 64)", element_id=task.get("id"))
        if len(set(fields)) != len(fields):
            self.add(prop, f"required_fields of {_label(task)} lists a field twice", element_id=task.get("id"))
        return fields

    # -- step forms (form-js schemas) ----------------------------------------------------------------------------

    def _index_forms(self, process):
        for holder in process.findall("bpmn:extensionElements", NS):
            for form in holder.findall("zeebe:userTaskForm", NS):
                if form.get("id"):
                    self.forms[form.get("id")] = form
                else:
                    self.add(form, f"a zeebe:userTaskForm of process {_label(process)} has no id",
                             element_id=self.process_id)

    def _step_form(self, task, required_fields):
        """The user task's form-js schema (dict) or None; problems name the task."""
        task_id = task.get("id")
        definitions = task.findall("bpmn:extensionElements/zeebe:formDefinition", NS)
        if not definitions:
            return None
        if len(definitions) > 1:
            self.add(definitions[1], f"user task {_label(task)} has {len(definitions)} zeebe:formDefinition "
                                     f"elements; keep one", element_id=task_id)
            return None
        definition = definitions[0]
        key = definition.get("formKey")
        if definition.get("formId") or definition.get("externalReference"):
            self.add(definition, f"user task {_label(task)}: linked forms (formId / externalReference) are not "
                                 f"supported; embed the form in the process (formKey=\"{FORM_KEY_PREFIX}ID\" and a "
                                 f"zeebe:userTaskForm with that id)", element_id=task_id)
            return None
        if not key or not key.startswith(FORM_KEY_PREFIX):
            self.add(definition, f"user task {_label(task)}: formKey {key!r} must be \"{FORM_KEY_PREFIX}ID\", the id "
                                 f"of a zeebe:userTaskForm of the process", element_id=task_id)
            return None
        form_id = key[len(FORM_KEY_PREFIX):]
        element = self.forms.get(form_id)
        if element is None:
            self.add(definition, f"user task {_label(task)}: formKey {key!r} names no zeebe:userTaskForm of process "
                                 f"'{self.process_id}'", element_id=task_id)
            return None
        if len(element):
            self.add(element, f"the form '{form_id}' of user task {_label(task)} must contain only the form's JSON "
                              f"text, not XML elements", element_id=task_id)
            return None
        try:
            schema = parse_form_schema(element.text or "")
        except FormSchemaError as exc:
            self.add(element, f"the form '{form_id}' of user task {_label(task)}: {exc.message}", element_id=task_id)
            return None
        for name in required_fields:
            f = schema.field(name)
            if f is None:
                self.add(definition, f"user task {_label(task)}: its form '{form_id}' has no field with key "
                                     f"'{name}', which required_fields lists", element_id=task_id)
            elif not f.input:
                self.add(definition, f"user task {_label(task)}: the field '{name}' of form '{form_id}' is read-only "
                                     f"or disabled, but required_fields lists it", element_id=task_id)
            elif not f.required and f.type != "checkbox":
                self.add(definition, f"user task {_label(task)}: the field '{name}' of form '{form_id}' must be "
                                     f"required (validate.required), since required_fields lists it",
                         element_id=task_id)
        booleans, numbers = self._condition_field_types()
        for f in schema.fields:
            if f.key in booleans and not f.is_boolean:
                self.add(definition, f"user task {_label(task)}: a condition compares '{f.key}' with True/False, but "
                                     f"the form's {f.type} field does not produce true/false (use a checkbox, or a "
                                     f"radio or select whose values are true and false)", element_id=task_id)
            elif f.key in numbers and not f.is_number:
                self.add(definition, f"user task {_label(task)}: a condition compares '{f.key}' with a number, but "
                                     f"the form's {f.type} field does not produce numbers (use a number field)",
                         element_id=task_id)
        return schema.schema

    def _condition_field_types(self):
        """(names compared with True/False, names compared with numbers) in the process's gateway conditions."""
        cached = getattr(self, "_condition_types", None)
        if cached is not None:
            return cached
        booleans, numbers = set(), set()
        for element in self.process.xpath("./bpmn:sequenceFlow/bpmn:conditionExpression", namespaces=NS):
            source = (element.text or "").strip()
            if not source or len(source) > MAX_EXPRESSION_CHARS:
                continue
            try:
                tree = ast.parse(source, mode="eval")
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue  # check_expression reports it
            for node in ast.walk(tree):
                if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand,
                                                                                                  ast.Name):
                    booleans.add(node.operand.id)
                if not isinstance(node, ast.Compare):
                    continue
                operands = [node.left, *node.comparators]
                for a, b in zip(operands, operands[1:]):
                    for name, other in ((a, b), (b, a)):
                        if not isinstance(name, ast.Name) or not isinstance(other, ast.Constant):
                            continue
                        if isinstance(other.value, bool):
                            booleans.add(name.id)
                        elif isinstance(other.value, (int, float)):
                            numbers.add(name.id)
        self._condition_types = (booleans, numbers)
        return self._condition_types

    # -- statutory budget along every path ----------------------------------------------------------------------

    def _budget_hours(self):
        limit, unit = self.statutory_limit, self.statutory_unit
        if unit == "same_day":
            return HOURS_PER_DAY, "same_day: 8 h"
        if unit == "working_days":
            return limit * HOURS_PER_DAY, f"{limit} working_days x 8 h"
        # Calendar days are checked against the working days they surely contain: n = 7q + r days hold at least
        # 5q + max(0, r - 2) weekdays, whatever day they start on (weekends only; holidays vary per year and are
        # left to the run-time calendar). This is floor(5n/7) except for r = 2 or 3, where floor(5n/7) would
        # count one weekday that a weekend start does not have.
        days = int(limit)
        weeks, rest = divmod(days, 7)
        working = 5 * weeks + max(0, rest - 2)
        return Decimal(working) * HOURS_PER_DAY, f"{days} calendar_days hold at least {working} working days x 8 h"

    def _check_budget(self, process):
        outgoing = {}
        for flow in process.findall("bpmn:sequenceFlow", NS):
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source in self.nodes and target in self.nodes:
                outgoing.setdefault(source, []).append((flow.get("id"), target))
        budget, how = self._budget_hours()
        reported = set()
        paths = steps = 0
        # Paths start at start events and follow sequence flows only: boundary-event branches (deadline
        # escalations, interruptions) are exception paths and are not held to the statutory budget.
        # Loops: a path never enters a node twice (so each flow is followed at most once per path and the
        # search ends). A flow back to a node already on the path closes one round of the loop: that path is
        # judged as it stands, the node entered again included, as its time only grows after the loop.
        for start in process.findall("bpmn:startEvent", NS):
            start_id = start.get("id")
            if not outgoing.get(start_id):
                continue
            # Iterative DFS (a long diagram must not hit Python's recursion limit); stack[i] iterates the exits
            # of path[i].
            path, on_path = [start_id], {start_id}
            stack = [iter(outgoing[start_id])]
            while stack:
                steps += 1
                if steps > MAX_PATH_STEPS:
                    self._too_many_paths(process)
                    return
                step = next(stack[-1], None)
                if step is None:
                    stack.pop()
                    on_path.discard(path.pop())
                    continue
                _flow_id, target = step
                exits = outgoing.get(target)
                loop = target in on_path
                if loop or not exits:  # an end event, any node without outgoing flows, or a loop round
                    paths += 1
                    if paths > MAX_PATHS:
                        self._too_many_paths(process)
                        return
                    self._judge_path(path + [target], budget, how, reported, loop)
                    continue
                path.append(target)
                on_path.add(target)
                stack.append(iter(exits))

    def _too_many_paths(self, process):
        self.add(process, f"process {_label(process)} has more than {MAX_PATHS} paths from start to end; the "
                          f"allocation budget cannot be checked: simplify the diagram")

    def _judge_path(self, path, budget, how, reported, loop=False):
        # A task starting a clock phase starts another budget (the case's phase limits live in the catalogue): the
        # statutory budget holds the steps before it.
        for index, node in enumerate(path):
            if self.phases.get(node):
                path, loop = path[:index], False
                break
        tasks = [n for n in path if n in self.hours]
        if not tasks:
            return
        allocated = sum((self.hours[t] for t in tasks), Decimal(0))
        extra = sum((self.extensions.get(n, Decimal(0)) for n in path), Decimal(0))
        if allocated <= budget + extra:
            return
        key = tuple(tasks)
        if key in reported:
            return
        reported.add(key)
        last = self.nodes[tasks[-1]]
        extension = f" + {_hours(extra)} h of legal extensions" if extra else ""
        round_trip = f" (one round of the loop back to '{path[-1]}')" if loop else ""
        self.add(last, f"the path through user tasks {' -> '.join(tasks)}{round_trip} allocates "
                       f"{_hours(allocated)} office hours, more than the statutory budget of "
                       f"{_hours(budget + extra)} h ({how}{extension}); shorten the allocations")


def _hours(value):
    return format(value.normalize(), "f")


def _bounded_cardinality(source):
    """A literal count, or min(anything, literal count): data cannot make the engine create 10**6 tasks."""
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # check_expression reports the syntax
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "min" and not tree.keywords:
        return any(_small_count(arg) for arg in tree.args)
    return _small_count(tree)


def _small_count(node):
    return (isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= MAX_INSTANCES)


def _condition_text(flow):
    condition = flow.find("bpmn:conditionExpression", NS)
    return (condition.text or "").strip() if condition is not None else ""


def _owner(element):
    """The element a designer would name for a nested expression: the flow, event, task, signal..."""
    current = element.getparent()
    while current is not None:
        local = _local(current)
        if current.get("id") and local not in _NOT_OWNERS and not local.endswith("EventDefinition"):
            return current
        current = current.getparent()
    return None


# ---------------------------------------------------------------------------------------------------------------
# SpiffWorkflow parsing


def _spiff_parse(tree, filename, checker):
    """Runs SpiffWorkflow's own parser (a fresh one per call) and turns whatever it raises into a Problem."""
    process_id = checker.process_id
    try:
        parser = SpiffBpmnParser()
        parser.add_bpmn_xml(tree, filename)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
        return spec, subprocess_specs, []
    except ValidationException as exc:
        element_id = getattr(exc, "id", None) or None
        element = checker.ids.get(element_id) if element_id else None
        message = str(exc.args[0]) if exc.args else "invalid BPMN"
        if "RecursionError" in message or "maximum recursion depth" in message:
            message = ("the chain of elements is too long for the BPMN parser (a few hundred steps in a row); "
                       "shorten the process")
        tag = getattr(exc, "tag", "")
        where = f"{tag} '{element_id}': " if tag and element_id else ""
        return None, None, [Problem(element.sourceline if element is not None else None, element_id,
                                    f"SpiffWorkflow: {where}{message}")]
    except RecursionError:
        return None, None, [Problem(None, process_id, "the diagram is too long for the BPMN parser (chain of "
                                                      "elements too deep); split or shorten it")]
    except Exception as exc:  # library code on untrusted input: report, never leak a traceback
        return None, None, [Problem(None, process_id, f"the BPMN parser failed: {_describe(exc)}")]
