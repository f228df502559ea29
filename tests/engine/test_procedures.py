"""The five real procedures in bpmn/*.bpmn, run through every path.

Part A uses SpiffWorkflow 3.2 directly (SpiffBpmnParser + BpmnWorkflow) plus lxml for the file's structure and
diagram interchange, so it does not depend on our engine modules.
Part B runs the same paths through the engine API of docs/engine-contract.md (engine.bpmn.validate_bpmn /
compile_bpmn, engine.runner.Instance, engine.functions.build_functions, engine.calendar.WorkCalendar); it is
skipped while those modules are missing.

Both parts are driven by the same table of designed procedures (PROCEDURES below): the lane of every user task,
its allocation, its required fields, and every path (which tasks become ready in which order, with which data,
and which end event is reached).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
KNOWN_DEPARTMENT_KINDS = {"urban", "labour", "justice"}
START_DATA = {"received_at": "2026-12-01T09:00:00+07:00"}
HOURS_PER_DAY = Decimal(8)
#: office hours left on a day between the 15:00 cut-off and closing (17:00): a same-day procedure whose steps fit
#: in this is finished the same day for every dossier received before the cut-off.
HOURS_AFTER_CUTOFF = Decimal(2)

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
LANE_RE = re.compile(r"^(reception|specialist|unit_leader|signing_leader)@(self|parent|province)(/[a-z][a-z_]*)?$")
SNAKE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
VIETNAMESE_RE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.I)


# ------------------------------------------------------------------------------------------------ design table
@dataclass(frozen=True)
class Step:
    lane: str
    allocation_days: Decimal | None = None
    allocation_hours: Decimal | None = None
    required_fields: frozenset[str] = frozenset()
    legal_extension_days: Decimal | None = None


@dataclass(frozen=True)
class PathCase:
    name: str
    steps: tuple[tuple[str, dict], ...]   # (user task bpmn id, data the officer submits), in order
    end_event_id: str


@dataclass(frozen=True)
class Procedure:
    file: str
    process_id: str
    statutory_limit: Decimal
    statutory_unit: str
    procedure_code: str
    lanes: frozenset[str]
    steps: dict[str, Step]
    end_events: frozenset[str]
    paths: tuple[PathCase, ...] = field(default=())

    @property
    def path(self) -> Path:
        return BPMN_DIR / self.file

    def budget_days(self, path: PathCase) -> Decimal:
        """Working days the path may use (statutory limit + legal extensions of the nodes on it)."""
        if self.statutory_unit == "calendar_days":
            base = Decimal(math.floor(self.statutory_limit * 5 / 7))
        else:
            base = self.statutory_limit
        return base + sum((self.steps[b].legal_extension_days or 0 for b, _ in path.steps), Decimal(0))


D = Decimal

PROCEDURES = [
    Procedure(
        file="chung_thuc_ban_sao.bpmn", process_id="chung_thuc_ban_sao",
        statutory_limit=D(0), statutory_unit="same_day", procedure_code="chung-thuc-ban-sao",
        lanes=frozenset({"specialist@self", "signing_leader@self"}),
        steps={
            "doi_chieu_ban_chinh": Step("specialist@self", allocation_hours=D("1")),
            "ky_chung_thuc_dong_dau": Step("signing_leader@self", allocation_hours=D("0.5")),
            "vao_so_chung_thuc": Step("specialist@self", allocation_hours=D("0.5")),
        },
        end_events=frozenset({"end_da_chung_thuc"}),
        paths=(
            PathCase("chứng thực", (("doi_chieu_ban_chinh", {}), ("ky_chung_thuc_dong_dau", {}),
                                    ("vao_so_chung_thuc", {"certification_number": "123/2026/SCT-BS"})),
                     "end_da_chung_thuc"),
        ),
    ),
    Procedure(
        file="khai_sinh.bpmn", process_id="khai_sinh",
        statutory_limit=D(0), statutory_unit="same_day", procedure_code="dang-ky-khai-sinh",
        lanes=frozenset({"reception@self", "specialist@self", "signing_leader@self"}),
        steps={
            "ghi_so_ho_tich": Step("specialist@self", allocation_hours=D("1")),
            "ky_giay_khai_sinh": Step("signing_leader@self", allocation_hours=D("0.5")),
            "in_trao_giay_khai_sinh": Step("reception@self", allocation_hours=D("0.5")),
        },
        end_events=frozenset({"end_da_cap_giay_khai_sinh"}),
        paths=(
            PathCase("khai sinh", (("ghi_so_ho_tich", {"personal_id_number": "001226012345"}),
                                   ("ky_giay_khai_sinh", {}), ("in_trao_giay_khai_sinh", {})),
                     "end_da_cap_giay_khai_sinh"),
        ),
    ),
    Procedure(
        file="nhan_cha_me_con.bpmn", process_id="nhan_cha_me_con",
        statutory_limit=D(3), statutory_unit="working_days", procedure_code="nhan-cha-me-con",
        lanes=frozenset({"specialist@self", "signing_leader@self"}),
        steps={
            "kiem_tra_ho_so": Step("specialist@self", allocation_days=D(2),
                                   required_fields=frozenset({"needs_verification"})),
            "xac_minh": Step("specialist@self", allocation_days=D(5), legal_extension_days=D(5)),
            "trinh_ky": Step("signing_leader@self", allocation_days=D(1), required_fields=frozenset({"approved"})),
        },
        end_events=frozenset({"end_cap_trich_luc", "end_tu_choi"}),
        paths=(
            PathCase("không xác minh, đồng ý",
                     (("kiem_tra_ho_so", {"needs_verification": False}), ("trinh_ky", {"approved": True})),
                     "end_cap_trich_luc"),
            PathCase("không xác minh, từ chối",
                     (("kiem_tra_ho_so", {"needs_verification": False}),
                      ("trinh_ky", {"approved": False, "refusal_reason": "Có tranh chấp về quan hệ cha, con"})),
                     "end_tu_choi"),
            PathCase("xác minh, đồng ý",
                     (("kiem_tra_ho_so", {"needs_verification": True}), ("xac_minh", {}),
                      ("trinh_ky", {"approved": True})),
                     "end_cap_trich_luc"),
            PathCase("xác minh, từ chối",
                     (("kiem_tra_ho_so", {"needs_verification": True}), ("xac_minh", {}),
                      ("trinh_ky", {"approved": False, "refusal_reason": "Kết quả xác minh không phù hợp"})),
                     "end_tu_choi"),
        ),
    ),
    Procedure(
        file="giay_phep_xay_dung.bpmn", process_id="giay_phep_xay_dung",
        statutory_limit=D(15), statutory_unit="calendar_days", procedure_code="giay-phep-xay-dung",
        lanes=frozenset({"reception@self", "specialist@self/urban", "signing_leader@self"}),
        steps={
            "tiep_nhan_chuyen_ho_so": Step("reception@self", allocation_days=D(1)),
            "tham_dinh_hien_trang": Step("specialist@self/urban", allocation_days=D(7),
                                         required_fields=frozenset({"eligible"})),
            "trinh_ky_giay_phep": Step("signing_leader@self", allocation_days=D(1)),
            "nhan_ket_qua_tra": Step("reception@self", allocation_days=D(1)),
            "soan_van_ban_tu_choi": Step("specialist@self/urban", allocation_days=D(2)),
        },
        end_events=frozenset({"end_cap_giay_phep", "end_tu_choi"}),
        paths=(
            PathCase("cấp phép",
                     (("tiep_nhan_chuyen_ho_so", {}), ("tham_dinh_hien_trang", {"eligible": True}),
                      ("trinh_ky_giay_phep", {}), ("nhan_ket_qua_tra", {})),
                     "end_cap_giay_phep"),
            PathCase("từ chối",
                     (("tiep_nhan_chuyen_ho_so", {}), ("tham_dinh_hien_trang", {"eligible": False}),
                      ("soan_van_ban_tu_choi", {"refusal_reason": "Vi phạm chỉ giới xây dựng"})),
                     "end_tu_choi"),
        ),
    ),
    Procedure(
        file="tro_cap_xa_hoi.bpmn", process_id="tro_cap_xa_hoi",
        statutory_limit=D(22), statutory_unit="working_days", procedure_code="tro-cap-xa-hoi",
        lanes=frozenset({"specialist@self", "signing_leader@self", "specialist@parent/labour",
                         "signing_leader@parent"}),
        steps={
            "xem_xet_tham_dinh_xa": Step("specialist@self", allocation_days=D(7)),
            "niem_yet_cong_khai": Step("specialist@self", allocation_days=D(2)),
            "ky_van_ban_de_nghi": Step("signing_leader@self", allocation_days=D(3)),
            "tham_dinh_phong_ldtbxh": Step("specialist@parent/labour", allocation_days=D(7),
                                           required_fields=frozenset({"eligible"})),
            "quyet_dinh_tro_cap": Step("signing_leader@parent", allocation_days=D(3)),
            "thong_bao_khong_du_dieu_kien": Step("specialist@parent/labour", allocation_days=D(3)),
        },
        end_events=frozenset({"end_quyet_dinh_tro_cap", "end_khong_du_dieu_kien"}),
        paths=(
            PathCase("đủ điều kiện",
                     (("xem_xet_tham_dinh_xa", {}), ("niem_yet_cong_khai", {}), ("ky_van_ban_de_nghi", {}),
                      ("tham_dinh_phong_ldtbxh", {"eligible": True}), ("quyet_dinh_tro_cap", {})),
                     "end_quyet_dinh_tro_cap"),
            PathCase("không đủ điều kiện",
                     (("xem_xet_tham_dinh_xa", {}), ("niem_yet_cong_khai", {}), ("ky_van_ban_de_nghi", {}),
                      ("tham_dinh_phong_ldtbxh", {"eligible": False}), ("thong_bao_khong_du_dieu_kien", {})),
                     "end_khong_du_dieu_kien"),
        ),
    ),
]

PATH_CASES = [pytest.param(proc, path, id=f"{proc.process_id}:{path.name}")
              for proc in PROCEDURES for path in proc.paths]
PROC_CASES = [pytest.param(proc, id=proc.process_id) for proc in PROCEDURES]


def test_every_bpmn_file_is_covered():
    assert {p.name for p in BPMN_DIR.glob("*.bpmn")} == {p.file for p in PROCEDURES}


# ======================================================================================= Part A: plain library
def _tree(proc: Procedure):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(proc.path), parser)


def _props(elem) -> dict[str, str]:
    return {p.get("name"): p.get("value")
            for p in elem.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
                                namespaces=NS)}


def _spec(proc: Procedure):
    parser = SpiffBpmnParser(validator=VALIDATOR)   # XSD-valid (BPMN 2.0 + spiffworkflow extensions)
    parser.add_bpmn_file(str(proc.path))
    return parser.get_spec(proc.process_id)


@pytest.mark.parametrize("proc", PROC_CASES)
def test_structure(proc: Procedure):
    root = _tree(proc).getroot()
    assert root.tag == f"{{{NS['bpmn']}}}definitions"
    processes = root.xpath("bpmn:process", namespaces=NS)
    assert len(processes) == 1
    process = processes[0]
    assert process.get("id") == proc.process_id and process.get("isExecutable") == "true"
    assert VIETNAMESE_RE.search(process.get("name"))
    doc = process.xpath("string(bpmn:documentation)", namespaces=NS)
    assert "Căn cứ pháp lý" in doc

    # process properties
    props = _props(process)
    assert Decimal(props["statutory_limit"]) == proc.statutory_limit
    assert props["statutory_unit"] == proc.statutory_unit
    assert props["procedure_code"] == proc.procedure_code

    # only user tasks, exclusive gateways, start/end events; no scripts anywhere
    allowed = {"startEvent", "endEvent", "userTask", "exclusiveGateway", "sequenceFlow", "laneSet",
               "documentation", "extensionElements"}
    kinds = {etree.QName(e).localname for e in process}
    assert kinds <= allowed, kinds - allowed
    for bad in ("preScript", "postScript", "script"):
        assert not root.xpath(f"//spiffworkflow:{bad} | //bpmn:{bad}", namespaces=NS), bad

    # ids snake_case; names of flow nodes Vietnamese
    for e in root.xpath("//*[@id]"):
        assert SNAKE_RE.match(e.get("id")), e.get("id")
    nodes = process.xpath("bpmn:startEvent | bpmn:endEvent | bpmn:userTask | bpmn:exclusiveGateway",
                          namespaces=NS)
    for n in nodes:
        if etree.QName(n).localname != "exclusiveGateway" or len(n.xpath("bpmn:outgoing", namespaces=NS)) > 1:
            assert n.get("name") and VIETNAMESE_RE.search(n.get("name")), n.get("id")

    # user tasks: exactly the designed ones, exactly one allocation kind, designed properties
    tasks = {t.get("id"): _props(t) for t in process.xpath("bpmn:userTask", namespaces=NS)}
    assert set(tasks) == set(proc.steps)
    for tid, p in tasks.items():
        step = proc.steps[tid]
        assert ("allocation_days" in p) != ("allocation_hours" in p), tid
        assert set(p) <= {"allocation_days", "allocation_hours", "required_fields", "legal_extension_days"}
        if step.allocation_days is not None:
            assert Decimal(p["allocation_days"]) == step.allocation_days
        else:
            assert Decimal(p["allocation_hours"]) == step.allocation_hours
        fields = {f.strip() for f in p.get("required_fields", "").split(",") if f.strip()}
        assert fields == set(step.required_fields), tid
        ext = p.get("legal_extension_days")
        assert (Decimal(ext) if ext is not None else None) == step.legal_extension_days, tid
    if proc.statutory_unit == "same_day":
        assert all(s.allocation_hours is not None for s in proc.steps.values())
    else:
        assert all(s.allocation_days is not None for s in proc.steps.values())

    # end events
    ends = {e.get("id") for e in process.xpath("bpmn:endEvent", namespaces=NS)}
    assert ends == proc.end_events

    # gateways: a split has conditions on all flows but its default; conditions use required fields
    produced = set().union(*(s.required_fields for s in proc.steps.values()))
    for gw in process.xpath("bpmn:exclusiveGateway", namespaces=NS):
        outs = process.xpath(f"bpmn:sequenceFlow[@sourceRef='{gw.get('id')}']", namespaces=NS)
        if len(outs) < 2:
            continue
        assert gw.get("default") in {f.get("id") for f in outs}, gw.get("id")
        for f in outs:
            cond = f.xpath("string(bpmn:conditionExpression)", namespaces=NS).strip()
            if f.get("id") == gw.get("default"):
                assert not cond
            else:
                assert cond and set(re.findall(r"[A-Za-z_]\w*", cond)) - {"True", "False", "and", "or", "not"} <= produced

    # lanes: ROLE@PLACE, every flow node in exactly one lane, designed lane of every task
    lanes = process.xpath("bpmn:laneSet/bpmn:lane", namespaces=NS)
    assert {lane.get("name") for lane in lanes} == proc.lanes
    for lane in lanes:
        assert LANE_RE.match(lane.get("name")), lane.get("name")
        kind = lane.get("name").partition("/")[2]
        assert not kind or kind in KNOWN_DEPARTMENT_KINDS
    refs = [r.text for r in process.xpath("bpmn:laneSet/bpmn:lane/bpmn:flowNodeRef", namespaces=NS)]
    assert sorted(refs) == sorted(n.get("id") for n in nodes)
    for tid, step in proc.steps.items():
        lane = process.xpath(f"bpmn:laneSet/bpmn:lane[bpmn:flowNodeRef='{tid}']", namespaces=NS)[0]
        assert lane.get("name") == step.lane, tid

    # a pool with these lanes
    participants = root.xpath("bpmn:collaboration/bpmn:participant", namespaces=NS)
    assert [p.get("processRef") for p in participants] == [proc.process_id]


def _bounds(shape):
    b = shape.xpath("dc:Bounds", namespaces=NS)[0]
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("proc", PROC_CASES)
def test_diagram_interchange(proc: Procedure):
    root = _tree(proc).getroot()
    process = root.xpath("bpmn:process", namespaces=NS)[0]
    collaboration = root.xpath("bpmn:collaboration", namespaces=NS)[0]
    planes = root.xpath("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", namespaces=NS)
    assert len(planes) == 1 and planes[0].get("bpmnElement") == collaboration.get("id")
    shapes = {s.get("bpmnElement"): s for s in planes[0].xpath("bpmndi:BPMNShape", namespaces=NS)}
    edges = {e.get("bpmnElement"): e for e in planes[0].xpath("bpmndi:BPMNEdge", namespaces=NS)}

    participant = collaboration.xpath("bpmn:participant", namespaces=NS)[0]
    pool = _bounds(shapes[participant.get("id")])
    lanes = {lane.get("id"): _bounds(shapes[lane.get("id")])
             for lane in process.xpath("bpmn:laneSet/bpmn:lane", namespaces=NS)}
    for lb in lanes.values():   # lanes inside the pool, stacked without overlap
        assert pool[0] <= lb[0] and lb[0] + lb[2] <= pool[0] + pool[2]
        assert pool[1] <= lb[1] and lb[1] + lb[3] <= pool[1] + pool[3]
    assert sum(lb[3] for lb in lanes.values()) == pool[3]
    lane_list = list(lanes.values())
    for i, a in enumerate(lane_list):
        for b in lane_list[i + 1:]:
            assert not _overlap(a, b)

    nodes = process.xpath("bpmn:startEvent | bpmn:endEvent | bpmn:userTask | bpmn:exclusiveGateway",
                          namespaces=NS)
    node_bounds = {}
    for n in nodes:
        nid = n.get("id")
        assert nid in shapes, f"no BPMNShape for {nid}"
        nb = node_bounds[nid] = _bounds(shapes[nid])
        lane_id = process.xpath(f"bpmn:laneSet/bpmn:lane[bpmn:flowNodeRef='{nid}']", namespaces=NS)[0].get("id")
        lb = lanes[lane_id]   # drawn inside its own lane
        assert lb[0] <= nb[0] and nb[0] + nb[2] <= lb[0] + lb[2], nid
        assert lb[1] <= nb[1] and nb[1] + nb[3] <= lb[1] + lb[3], nid
    ids = list(node_bounds)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            assert not _overlap(node_bounds[a], node_bounds[b]), (a, b)

    for f in process.xpath("bpmn:sequenceFlow", namespaces=NS):
        fid = f.get("id")
        assert fid in edges, f"no BPMNEdge for {fid}"
        pts = [(float(w.get("x")), float(w.get("y"))) for w in edges[fid].xpath("di:waypoint", namespaces=NS)]
        assert len(pts) >= 2, fid
        for (x1, y1), (x2, y2) in zip(pts, pts[1:]):   # orthogonal routing
            assert x1 == x2 or y1 == y2, fid

        def on_border(pt, b):
            x, y = pt
            inside = b[0] <= x <= b[0] + b[2] and b[1] <= y <= b[1] + b[3]
            return inside and (x in (b[0], b[0] + b[2]) or y in (b[1], b[1] + b[3]))

        assert on_border(pts[0], node_bounds[f.get("sourceRef")]), fid
        assert on_border(pts[-1], node_bounds[f.get("targetRef")]), fid


@pytest.mark.parametrize("proc", PROC_CASES)
def test_library_spec_lanes_and_properties(proc: Procedure):
    spec = _spec(proc)
    user_tasks = {name: ts for name, ts in spec.task_specs.items() if type(ts).__name__ == "UserTask"}
    assert set(user_tasks) == set(proc.steps)
    for tid, ts in user_tasks.items():
        step = proc.steps[tid]
        assert ts.lane == step.lane
        props = ts.extensions["properties"]
        if step.allocation_days is not None:
            assert Decimal(props["allocation_days"]) == step.allocation_days
        else:
            assert Decimal(props["allocation_hours"]) == step.allocation_hours


@pytest.mark.parametrize("proc", PROC_CASES)
def test_allocations_fit_the_statutory_limit(proc: Procedure):
    for path in proc.paths:
        steps = [proc.steps[b] for b, _ in path.steps]
        if proc.statutory_unit == "same_day":
            hours = sum((s.allocation_hours for s in steps), Decimal(0))
            assert hours <= HOURS_PER_DAY, path.name
            assert hours <= HOURS_AFTER_CUTOFF, path.name
        else:
            days = sum((s.allocation_days for s in steps), Decimal(0))
            assert days <= proc.budget_days(path), (path.name, days, proc.budget_days(path))


@pytest.mark.parametrize("proc", PROC_CASES)
def test_paths_cover_every_task_end_and_flow(proc: Procedure):
    assert {b for p in proc.paths for b, _ in p.steps} == set(proc.steps)
    assert {p.end_event_id for p in proc.paths} == set(proc.end_events)
    process = _tree(proc).getroot().xpath("bpmn:process", namespaces=NS)[0]
    flows = {(f.get("sourceRef"), f.get("targetRef")) for f in process.xpath("bpmn:sequenceFlow", namespaces=NS)}
    taken = set()
    for path in proc.paths:
        wf = _run_library(proc, path)
        for t in wf.get_tasks(state=TaskState.COMPLETED):
            if t.parent is not None and t.parent.task_spec.bpmn_id and t.task_spec.bpmn_id:
                taken.add((t.parent.task_spec.bpmn_id, t.task_spec.bpmn_id))
    assert taken == flows


def _run_library(proc: Procedure, path: PathCase) -> BpmnWorkflow:
    wf = BpmnWorkflow(_spec(proc))
    start = wf.get_tasks(state=TaskState.READY)
    assert len(start) == 1
    start[0].data.update(START_DATA)
    wf.do_engine_steps()
    for bpmn_id, data in path.steps:
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        assert [t.task_spec.bpmn_id for t in ready] == [bpmn_id], path.name
        task = ready[0]
        assert task.task_spec.lane == proc.steps[bpmn_id].lane
        assert task.data["received_at"] == START_DATA["received_at"]
        task.data.update(data)
        task.run()
        wf.do_engine_steps()
    assert wf.get_tasks(state=TaskState.READY, manual=True) == []
    assert wf.is_completed(), path.name
    return wf


@pytest.mark.parametrize("proc, path", PATH_CASES)
def test_library_runs_path(proc: Procedure, path: PathCase):
    wf = _run_library(proc, path)
    ends = [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)
            if type(t.task_spec).__name__ == "EndEvent"]
    assert ends == [path.end_event_id]
    for _, data in path.steps:
        for k, v in data.items():
            assert wf.data[k] == v


# ============================================================================================ Part B: engine API
def _engine():
    """The engine modules of docs/engine-contract.md; skips Part B while a colleague's module is missing."""
    bpmn = pytest.importorskip("engine.bpmn")
    runner = pytest.importorskip("engine.runner")
    functions = pytest.importorskip("engine.functions")
    calendar = pytest.importorskip("engine.calendar")
    return bpmn, runner, functions, calendar


def _compiled(proc: Procedure):
    bpmn, *_ = _engine()
    return bpmn.compile_bpmn(proc.path.read_bytes(), filename=proc.file,
                             known_department_kinds=KNOWN_DEPARTMENT_KINDS)


def _dec(v):
    return None if v is None else Decimal(str(v))


@pytest.mark.parametrize("proc", PROC_CASES)
def test_engine_validates_without_problems(proc: Procedure):
    bpmn, *_ = _engine()
    problems = bpmn.validate_bpmn(proc.path.read_bytes(), filename=proc.file,
                                  known_department_kinds=KNOWN_DEPARTMENT_KINDS)
    assert problems == [], "\n".join(p.format(proc.file) for p in problems)


@pytest.mark.parametrize("proc", PROC_CASES)
def test_engine_lanes_parse(proc: Procedure):
    lanes = pytest.importorskip("engine.lanes")
    for name in proc.lanes:
        route = lanes.parse_lane(name)
        role, _, place = name.partition("@")
        anchor, _, kind = place.partition("/")
        assert (route.role, route.anchor, route.department_kind) == (role, anchor, kind or None)


@pytest.mark.parametrize("proc", PROC_CASES)
def test_engine_compiled_process(proc: Procedure):
    compiled = _compiled(proc)
    assert compiled.process_id == proc.process_id
    assert compiled.statutory_limit == proc.statutory_limit
    assert compiled.statutory_unit == proc.statutory_unit
    assert compiled.procedure_code == proc.procedure_code
    assert VIETNAMESE_RE.search(compiled.name)
    steps = {s.bpmn_id: s for s in compiled.steps}
    assert set(steps) == set(proc.steps)
    for bpmn_id, want in proc.steps.items():
        got = steps[bpmn_id]
        assert got.lane == want.lane, bpmn_id
        assert _dec(got.allocation_days) == want.allocation_days, bpmn_id
        assert _dec(got.allocation_hours) == want.allocation_hours, bpmn_id
        assert _dec(got.legal_extension_days or None) == want.legal_extension_days, bpmn_id
        assert set(got.required_fields or ()) == set(want.required_fields), bpmn_id
        assert got.name and VIETNAMESE_RE.search(got.name), bpmn_id


def _start_instance(proc: Procedure):
    _, runner, functions, calendar = _engine()
    compiled = _compiled(proc)
    fns = functions.build_functions(calendar.WorkCalendar())
    return runner, compiled, fns, runner.Instance.start(compiled.spec_json, dict(START_DATA), fns)


@pytest.mark.parametrize("proc, path", PATH_CASES)
def test_engine_runs_path(proc: Procedure, path: PathCase):
    runner, compiled, fns, inst = _start_instance(proc)
    assert not inst.is_completed
    for bpmn_id, data in path.steps:
        ready = inst.ready_tasks()
        assert [t.bpmn_id for t in ready] == [bpmn_id], path.name
        task, want = ready[0], proc.steps[bpmn_id]
        assert task.lane == want.lane
        assert _dec(task.allocation_days) == want.allocation_days
        assert _dec(task.allocation_hours) == want.allocation_hours
        assert _dec(task.legal_extension_days or None) == want.legal_extension_days
        assert set(task.required_fields or ()) == set(want.required_fields)
        inst.complete_task(task.task_id, dict(data))
        # persist and reload between steps, as the web app does
        inst = runner.Instance.load(compiled.spec_json, inst.dumps(), fns)
    assert inst.ready_tasks() == []
    assert inst.is_completed, path.name
    assert inst.end_event_id == path.end_event_id
    assert inst.data["received_at"] == START_DATA["received_at"]
    for _, data in path.steps:
        for k, v in data.items():
            assert inst.data[k] == v


@pytest.mark.parametrize("proc", [c for c in PROC_CASES
                                  if any(s.required_fields for s in c.values[0].steps.values())])
def test_engine_refuses_completion_without_required_fields(proc: Procedure):
    runner, compiled, fns, inst = _start_instance(proc)
    # walk the first path up to the first step that must produce fields, then complete it without them
    for bpmn_id, data in proc.paths[0].steps:
        task = inst.ready_tasks()[0]
        assert task.bpmn_id == bpmn_id
        if proc.steps[bpmn_id].required_fields:
            with pytest.raises(runner.EngineError) as err:
                inst.complete_task(task.task_id, {})
            for name in proc.steps[bpmn_id].required_fields:
                assert name in str(err.value)
            assert [t.bpmn_id for t in inst.ready_tasks()] == [bpmn_id]
            inst.complete_task(task.task_id, dict(data))
            break
        inst.complete_task(task.task_id, dict(data))
    else:
        pytest.fail("no step with required fields on the first path")
