"""The real procedures in bpmn/*.bpmn, run through every path.

Part A uses SpiffWorkflow 3.2 directly (SpiffBpmnParser + BpmnWorkflow) plus lxml for the file's structure and
diagram interchange, so it does not depend on our engine modules.
Part B runs the same paths through the engine API of docs/engine-contract.md (engine.bpmn.validate_bpmn /
compile_bpmn, engine.runner.Instance, engine.functions.build_functions, engine.calendar.WorkCalendar); it is
skipped while those modules are missing.

Both parts are driven by the same table of designed procedures (PROCEDURES below): the lane of every user task,
its allocation, its required fields, the clock phase it starts, and every path (which tasks become ready in which
order, with which data, and which end event is reached).

Complaints, denunciations, petitions and dialogue opinions (README, issue 9) have several limits in a row: the
process's statutory limit is the first, and a user task with the property `clock_phase` restarts the clock with
that phase's limit from the catalogue when it becomes ready. The statutory limit therefore holds only the steps of a
path before its first phase-starting step (as engine.bpmn's budget check does).
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
KNOWN_DEPARTMENT_KINDS = {"urban", "labour", "justice", "inspection"}   # the demo district's departments
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
    clock_phase: str | None = None   # the phase of a case's clock this step starts when it becomes ready


@dataclass(frozen=True)
class PathCase:
    name: str
    steps: tuple[tuple[str, dict], ...]   # (user task bpmn id, data the officer submits), in order
    end_event_id: str
    phases: tuple[str, ...] = ()   # the clock phases the path starts, in order (after the statutory limit's)


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
    #: what the process's documentation cites; None: no statute sets the procedure (a dialogue opinion's limit is the
    #: one set when it is assigned), and the documentation then has no "Căn cứ pháp lý".
    legal_basis: tuple[str, ...] | None = ()

    @property
    def path(self) -> Path:
        return BPMN_DIR / self.file

    def statutory_steps(self, path: PathCase) -> tuple[str, ...]:
        """The steps of the path held to the statutory limit: those before its first phase-starting step (the later
        phases' limits are the catalogue's)."""
        ids = tuple(b for b, _ in path.steps)
        for index, bpmn_id in enumerate(ids):
            if self.steps[bpmn_id].clock_phase:
                return ids[:index]
        return ids

    def budget_days(self, path: PathCase) -> Decimal:
        """Working days the path's statutory steps may use (statutory limit + their legal extensions)."""
        if self.statutory_unit == "calendar_days":
            base = Decimal(math.floor(self.statutory_limit * 5 / 7))
        else:
            base = self.statutory_limit
        return base + sum((self.steps[b].legal_extension_days or 0 for b in self.statutory_steps(path)), Decimal(0))


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
                     (("kiem_tra_ho_so", {"needs_verification": False}), ("trinh_ky", {"approved": False})),
                     "end_tu_choi"),
            PathCase("xác minh, đồng ý",
                     (("kiem_tra_ho_so", {"needs_verification": True}), ("xac_minh", {}),
                      ("trinh_ky", {"approved": True})),
                     "end_cap_trich_luc"),
            PathCase("xác minh, từ chối",
                     (("kiem_tra_ho_so", {"needs_verification": True}), ("xac_minh", {}),
                      ("trinh_ky", {"approved": False})),
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
    # ---- complaints, denunciations, petitions, dialogue opinions (issue 9): a case's later limits are clock phases
    # Law on Complaints 2011: acceptance within 10 days of receipt (Art. 27; working days per Circular 07/2013), the
    # first-instance resolution within 30 days of acceptance, 45 complex / remote, 60 both (Art. 28), the decision
    # sent within 3 working days (Art. 32). The district chairman resolves complaints about his own decisions
    # (Art. 18); the district inspectorate advises and verifies.
    Procedure(
        file="khieu_nai_lan_dau.bpmn", process_id="khieu_nai_lan_dau",
        statutory_limit=D(10), statutory_unit="working_days", procedure_code="khieu-nai-lan-dau",
        lanes=frozenset({"reception@self", "specialist@self/inspection", "signing_leader@self"}),
        steps={
            "phan_loai": Step("specialist@self/inspection", allocation_days=D(3),
                              required_fields=frozenset({"classification"})),
            "chuyen_don": Step("specialist@self/inspection", allocation_days=D(2)),
            "thong_bao_khong_thu_ly": Step("signing_leader@self", allocation_days=D(2),
                                           required_fields=frozenset({"reason"})),
            "quyet_dinh_thu_ly": Step("signing_leader@self", allocation_days=D(3),
                                      required_fields=frozenset({"acceptance_number", "complexity"})),
            "xac_minh": Step("specialist@self/inspection", allocation_days=D(12), clock_phase="resolution"),
            "quyet_dinh_giai_quyet": Step("signing_leader@self", allocation_days=D(5),
                                          required_fields=frozenset({"decision_number", "result"})),
            "gui_quyet_dinh": Step("specialist@self/inspection", allocation_days=D(2), clock_phase="send_decision"),
        },
        end_events=frozenset({"end_da_giai_quyet", "end_khong_thu_ly", "end_chuyen_don"}),
        legal_basis=("Căn cứ pháp lý", "Luật Khiếu nại 2011", "Điều 27", "Điều 28", "Điều 32"),
        paths=(
            PathCase("thụ lý, giải quyết, gửi quyết định",
                     (("phan_loai", {"classification": "accept"}),
                      ("quyet_dinh_thu_ly", {"acceptance_number": "12/TB-UBND", "complexity": "normal"}),
                      ("xac_minh", {}),
                      ("quyet_dinh_giai_quyet", {"decision_number": "345/QĐ-UBND", "result": "partly"}),
                      ("gui_quyet_dinh", {})),
                     "end_da_giai_quyet", phases=("resolution", "send_decision")),
            PathCase("không thụ lý",
                     (("phan_loai", {"classification": "not_admissible"}),
                      ("thong_bao_khong_thu_ly", {"reason": "Thời hiệu khiếu nại đã hết (Điều 11 khoản 3)"})),
                     "end_khong_thu_ly"),
            PathCase("chuyển đơn",
                     (("phan_loai", {"classification": "forward"}), ("chuyen_don", {})),
                     "end_chuyen_don"),
        ),
    ),
    # Second instance (Art. 36-37): acceptance within 10 days, resolution within 45 days of acceptance, 60 complex /
    # remote, 70 both; the district chairman resolves complaints about a commune chairman's first-instance decision.
    Procedure(
        file="khieu_nai_lan_hai.bpmn", process_id="khieu_nai_lan_hai",
        statutory_limit=D(10), statutory_unit="working_days", procedure_code="khieu-nai-lan-hai",
        lanes=frozenset({"reception@self", "specialist@self/inspection", "signing_leader@self"}),
        steps={
            "phan_loai": Step("specialist@self/inspection", allocation_days=D(3),
                              required_fields=frozenset({"classification"})),
            "chuyen_don": Step("specialist@self/inspection", allocation_days=D(2)),
            "thong_bao_khong_thu_ly": Step("signing_leader@self", allocation_days=D(2),
                                           required_fields=frozenset({"reason"})),
            "quyet_dinh_thu_ly": Step("signing_leader@self", allocation_days=D(3),
                                      required_fields=frozenset({"acceptance_number", "complexity"})),
            "xac_minh": Step("specialist@self/inspection", allocation_days=D(12), clock_phase="resolution"),
            "quyet_dinh_giai_quyet": Step("signing_leader@self", allocation_days=D(5),
                                          required_fields=frozenset({"decision_number", "result"})),
            "gui_quyet_dinh": Step("specialist@self/inspection", allocation_days=D(2), clock_phase="send_decision"),
        },
        end_events=frozenset({"end_da_giai_quyet", "end_khong_thu_ly", "end_chuyen_don"}),
        legal_basis=("Căn cứ pháp lý", "Luật Khiếu nại 2011", "Điều 36", "Điều 37"),
        paths=(
            PathCase("thụ lý, giải quyết, gửi quyết định",
                     (("phan_loai", {"classification": "accept"}),
                      ("quyet_dinh_thu_ly", {"acceptance_number": "21/TB-UBND", "complexity": "complex"}),
                      ("xac_minh", {}),
                      ("quyet_dinh_giai_quyet", {"decision_number": "512/QĐ-UBND", "result": "rejected"}),
                      ("gui_quyet_dinh", {})),
                     "end_da_giai_quyet", phases=("resolution", "send_decision")),
            PathCase("không thụ lý",
                     (("phan_loai", {"classification": "not_admissible"}),
                      ("thong_bao_khong_thu_ly", {"reason": "Chưa có quyết định giải quyết khiếu nại lần đầu"})),
                     "end_khong_thu_ly"),
            PathCase("chuyển đơn",
                     (("phan_loai", {"classification": "forward"}), ("chuyen_don", {})),
                     "end_chuyen_don"),
        ),
    ),
    # Law on Denunciation 2018: initial handling within 7 working days (Art. 24), forwarding within 5 working days of
    # receipt when another body is competent, the decision to accept (Art. 29), resolution within 30 days of
    # acceptance, extended once (complex) or twice (especially complex) by at most 30 days each (Art. 30); the
    # denouncer's identity kept secret (Art. 47).
    Procedure(
        file="to_cao.bpmn", process_id="to_cao",
        statutory_limit=D(7), statutory_unit="working_days", procedure_code="to-cao",
        lanes=frozenset({"reception@self", "specialist@self/inspection", "signing_leader@self"}),
        steps={
            "xu_ly_ban_dau": Step("specialist@self/inspection", allocation_days=D(3),
                                  required_fields=frozenset({"classification"})),
            "chuyen_don": Step("specialist@self/inspection", allocation_days=D(2), clock_phase="forward"),
            "thong_bao_khong_thu_ly": Step("signing_leader@self", allocation_days=D(2),
                                           required_fields=frozenset({"reason"})),
            "quyet_dinh_thu_ly": Step("signing_leader@self", allocation_days=D(2),
                                      required_fields=frozenset({"acceptance_number", "complexity"})),
            "xac_minh": Step("specialist@self/inspection", allocation_days=D(15), clock_phase="resolution"),
            "ket_luan": Step("signing_leader@self", allocation_days=D(5),
                             required_fields=frozenset({"decision_number", "result"})),
            "gui_ket_luan": Step("specialist@self/inspection", allocation_days=D(2), clock_phase="send_decision"),
        },
        end_events=frozenset({"end_da_giai_quyet", "end_chuyen_don", "end_khong_thu_ly"}),
        legal_basis=("Căn cứ pháp lý", "Luật Tố cáo 2018", "Điều 24", "Điều 29", "Điều 30", "Điều 47"),
        paths=(
            PathCase("thụ lý, xác minh, kết luận",
                     (("xu_ly_ban_dau", {"classification": "accept"}),
                      ("quyet_dinh_thu_ly", {"acceptance_number": "08/QĐ-UBND", "complexity": "especially_complex"}),
                      ("xac_minh", {}),
                      ("ket_luan", {"decision_number": "03/KL-UBND", "result": "partly"}),
                      ("gui_ket_luan", {})),
                     "end_da_giai_quyet", phases=("resolution", "send_decision")),
            PathCase("chuyển đơn",
                     (("xu_ly_ban_dau", {"classification": "forward"}), ("chuyen_don", {})),
                     "end_chuyen_don", phases=("forward",)),
            PathCase("không thụ lý",
                     (("xu_ly_ban_dau", {"classification": "not_admissible"}),
                      ("thong_bao_khong_thu_ly", {"reason": "Tố cáo không rõ người vi phạm, hành vi vi phạm"})),
                     "end_khong_thu_ly"),
        ),
    ),
    # Decree 20/2008 on petitions about administrative regulations, with the national portal's limits: an answer
    # within 15 working days, a refusal within 2, a request for more information within 5, forwarding within 5, the
    # answer published within 2. The district's justice office (control of administrative procedures) handles them.
    Procedure(
        file="phan_anh_kien_nghi.bpmn", process_id="phan_anh_kien_nghi",
        statutory_limit=D(15), statutory_unit="working_days", procedure_code="phan-anh-kien-nghi",
        lanes=frozenset({"reception@self", "specialist@self/justice", "signing_leader@self"}),
        steps={
            "phan_loai": Step("specialist@self/justice", allocation_days=D(1),
                              required_fields=frozenset({"classification"})),
            "nghien_cuu_tra_loi": Step("specialist@self/justice", allocation_days=D(8),
                                       required_fields=frozenset({"answer"})),
            "duyet_tra_loi": Step("signing_leader@self", allocation_days=D(3)),
            "cong_khai": Step("specialist@self/justice", allocation_days=D(1), clock_phase="publish"),
            "tu_choi": Step("specialist@self/justice", allocation_days=D(1), required_fields=frozenset({"reason"}),
                            clock_phase="reject"),
            "de_nghi_bo_sung": Step("specialist@self/justice", allocation_days=D(1),
                                    required_fields=frozenset({"request"}), clock_phase="ask_information"),
            "chuyen_co_quan": Step("specialist@self/justice", allocation_days=D(1), clock_phase="forward"),
        },
        end_events=frozenset({"end_da_tra_loi", "end_tu_choi", "end_de_nghi_bo_sung", "end_chuyen"}),
        legal_basis=("Căn cứ pháp lý", "Nghị định 20/2008/NĐ-CP"),
        paths=(
            PathCase("trả lời, ký, công khai",
                     (("phan_loai", {"classification": "answer"}),
                      ("nghien_cuu_tra_loi", {"answer": "Quy định về thành phần hồ sơ đã được đề nghị sửa đổi"}),
                      ("duyet_tra_loi", {}), ("cong_khai", {})),
                     "end_da_tra_loi", phases=("publish",)),
            PathCase("từ chối",
                     (("phan_loai", {"classification": "reject"}),
                      ("tu_choi", {"reason": "Nội dung không phải là phản ánh về quy định hành chính"})),
                     "end_tu_choi", phases=("reject",)),
            PathCase("đề nghị bổ sung thông tin",
                     (("phan_loai", {"classification": "ask_information"}),
                      ("de_nghi_bo_sung", {"request": "Ghi rõ quy định hành chính được phản ánh"})),
                     "end_de_nghi_bo_sung", phases=("ask_information",)),
            PathCase("chuyển cơ quan có thẩm quyền",
                     (("phan_loai", {"classification": "forward"}), ("chuyen_co_quan", {})),
                     "end_chuyen", phases=("forward",)),
        ),
    ),
    # An opinion raised at a dialogue meeting: the unit it is assigned to answers by the deadline set then (the
    # response phase, whose limit is the opinion's data), and publishes the answer (2 working days).
    Procedure(
        file="y_kien_doi_thoai.bpmn", process_id="y_kien_doi_thoai",
        statutory_limit=D(15), statutory_unit="working_days", procedure_code="y-kien-doi-thoai",
        lanes=frozenset({"unit_leader@self"}),
        steps={
            "tra_loi": Step("unit_leader@self", allocation_days=D(10), required_fields=frozenset({"answer"}),
                            clock_phase="response"),
            "cong_khai": Step("unit_leader@self", allocation_days=D(1), clock_phase="publish"),
        },
        end_events=frozenset({"end_da_cong_khai"}),
        legal_basis=None,
        paths=(
            PathCase("trả lời, công khai",
                     (("tra_loi", {"answer": "Tuyến đường sẽ được sửa chữa trong quý I năm 2027"}), ("cong_khai", {})),
                     "end_da_cong_khai", phases=("response", "publish")),
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
    if proc.legal_basis is None:
        assert VIETNAMESE_RE.search(doc) and "Căn cứ pháp lý" not in doc
    else:
        for citation in ("Căn cứ pháp lý", *proc.legal_basis):
            assert citation in doc, citation

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
        assert set(p) <= {"allocation_days", "allocation_hours", "required_fields", "legal_extension_days",
                          "clock_phase"}
        if step.allocation_days is not None:
            assert Decimal(p["allocation_days"]) == step.allocation_days
        else:
            assert Decimal(p["allocation_hours"]) == step.allocation_hours
        fields = {f.strip() for f in p.get("required_fields", "").split(",") if f.strip()}
        assert fields == set(step.required_fields), tid
        ext = p.get("legal_extension_days")
        assert (Decimal(ext) if ext is not None else None) == step.legal_extension_days, tid
        assert p.get("clock_phase") == step.clock_phase, tid
        if step.clock_phase:
            assert SNAKE_RE.match(step.clock_phase), tid
    if proc.statutory_unit == "same_day":
        assert all(s.allocation_hours is not None for s in proc.steps.values())
    else:
        assert all(s.allocation_days is not None for s in proc.steps.values())

    # end events; a case's each declare what they mean for the statistics (case_outcome), nothing else's do
    ends = {e.get("id") for e in process.xpath("bpmn:endEvent", namespaces=NS)}
    assert ends == proc.end_events
    outcomes = {e.get("id"): next(iter(e.xpath("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
                                              "[@name='case_outcome']/@value", namespaces=NS)), None)
                for e in process.xpath("bpmn:endEvent", namespaces=NS)}
    assert outcomes == CASE_END_OUTCOMES.get(proc.file, dict.fromkeys(proc.end_events))

    # gateways: a split has conditions on all flows but its default; conditions use required fields (the values
    # they compare with, in quotes, are the forms' choices)
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
                names = set(re.findall(r"[A-Za-z_]\w*", re.sub(r"'[^']*'|\"[^\"]*\"", "", cond)))
                assert cond and names - {"True", "False", "and", "or", "not"} <= produced, cond

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
        assert props.get("clock_phase") == step.clock_phase, tid


@pytest.mark.parametrize("proc", PROC_CASES)
def test_allocations_fit_the_statutory_limit(proc: Procedure):
    process = _tree(proc).getroot().xpath("bpmn:process", namespaces=NS)[0]
    file_phases = {t.get("id"): _props(t).get("clock_phase") for t in process.xpath("bpmn:userTask", namespaces=NS)}
    for path in proc.paths:
        # the phases the path starts, and where: as designed for the path, in the table's steps and in the file
        ids = [b for b, _ in path.steps]
        starts = [(b, proc.steps[b].clock_phase) for b in ids if proc.steps[b].clock_phase]
        assert tuple(phase for _, phase in starts) == path.phases, path.name
        assert [(b, file_phases[b]) for b in ids if file_phases[b]] == starts, path.name
        held = proc.statutory_steps(path)
        assert held == tuple(ids[:ids.index(starts[0][0])] if starts else ids), path.name
        # the statutory limit holds the steps before the first phase-starting step (engine.bpmn's budget check)
        steps = [proc.steps[b] for b in held]
        if proc.statutory_unit == "same_day":
            hours = sum((s.allocation_hours for s in steps), Decimal(0))
            assert hours <= HOURS_PER_DAY, path.name
            assert hours <= HOURS_AFTER_CUTOFF, path.name
        else:
            days = sum((s.allocation_days for s in steps), Decimal(0))
            assert days <= proc.budget_days(path), (path.name, days, proc.budget_days(path))


# What each case diagram's ends mean for the statistics: a complaint or a denunciation not accepted, or forwarded to the
# competent body; a petition refused or sent back for information (not accepted) or forwarded; everything else resolved.
CASE_END_OUTCOMES = {
    **{file: {"end_da_giai_quyet": "resolved", "end_khong_thu_ly": "not_accepted", "end_chuyen_don": "forwarded"}
       for file in ("khieu_nai_lan_dau.bpmn", "khieu_nai_lan_hai.bpmn", "to_cao.bpmn")},
    "phan_anh_kien_nghi.bpmn": {"end_da_tra_loi": "resolved", "end_tu_choi": "not_accepted",
                                "end_de_nghi_bo_sung": "not_accepted", "end_chuyen": "forwarded"},
    "y_kien_doi_thoai.bpmn": {"end_da_cong_khai": "resolved"},
}


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


def _submitted(path: PathCase) -> dict:
    """The workflow data the path's steps leave: what each submits, a later step's value over an earlier one's."""
    data = {}
    for _, step_data in path.steps:
        data.update(step_data)
    return data


@pytest.mark.parametrize("proc, path", PATH_CASES)
def test_library_runs_path(proc: Procedure, path: PathCase):
    wf = _run_library(proc, path)
    ends = [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)
            if type(t.task_spec).__name__ == "EndEvent"]
    assert ends == [path.end_event_id]
    for k, v in _submitted(path).items():
        assert wf.data[k] == v, k


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
        assert got.clock_phase == want.clock_phase, bpmn_id
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
        assert task.clock_phase == want.clock_phase
        inst.complete_task(task.task_id, dict(data))
        # persist and reload between steps, as the web app does
        inst = runner.Instance.load(compiled.spec_json, inst.dumps(), fns)
    assert inst.ready_tasks() == []
    assert inst.is_completed, path.name
    assert inst.end_event_id == path.end_event_id
    assert inst.data["received_at"] == START_DATA["received_at"]
    for k, v in _submitted(path).items():
        assert inst.data[k] == v, k


@pytest.mark.parametrize("proc, path", PATH_CASES)
def test_engine_path_data_is_what_the_step_forms_accept(proc: Procedure, path: PathCase):
    """An official enters a step's required fields in its form; the path submits what the form accepts, already of
    the types the conditions compare (a radio's string value, a text field's text)."""
    forms = pytest.importorskip("engine.forms")
    steps = {s.bpmn_id: s for s in _compiled(proc).steps}
    for bpmn_id, data in path.steps:
        form = steps[bpmn_id].form
        if form is None:
            assert not proc.steps[bpmn_id].required_fields, f"{bpmn_id} has required fields and no form"
            continue
        schema = forms.parse_form_schema(form)
        assert set(proc.steps[bpmn_id].required_fields) <= set(schema.keys), bpmn_id
        result = forms.validate_submission(schema, dict(data))
        assert result.errors == {}, (path.name, bpmn_id, result.errors)
        assert result.data == data, (path.name, bpmn_id)


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
