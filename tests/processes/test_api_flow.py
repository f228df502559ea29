"""Every procedure of bpmn/ run to completion through the REST API, on each of its paths."""
import pytest

from processes.models import Dossier, Event

from .helpers import api_get_dossier, at, official_for, receive, run_to_end

HIEPDUC = "003.00.16.H57"
DISTRICT = "000.00.16.H57"
LABOUR = "000.03.16.H57"
URBAN = "000.04.16.H57"

PATHS = [
    # procedure, receiving unit, answers, expected steps (bpmn id, unit), expected end event
    ("chung-thuc-ban-sao", HIEPDUC, {},
     [("doi_chieu_ban_chinh", HIEPDUC), ("ky_chung_thuc_dong_dau", HIEPDUC), ("vao_so_chung_thuc", HIEPDUC)],
     "end_da_chung_thuc"),
    ("dang-ky-khai-sinh", HIEPDUC, {},
     [("ghi_so_ho_tich", HIEPDUC), ("ky_giay_khai_sinh", HIEPDUC), ("in_trao_giay_khai_sinh", HIEPDUC)],
     "end_da_cap_giay_khai_sinh"),
    ("nhan-cha-me-con", HIEPDUC, {"needs_verification": False, "approved": True},
     [("kiem_tra_ho_so", HIEPDUC), ("trinh_ky", HIEPDUC)], "end_cap_trich_luc"),
    ("nhan-cha-me-con", HIEPDUC, {"needs_verification": True, "approved": True},
     [("kiem_tra_ho_so", HIEPDUC), ("xac_minh", HIEPDUC), ("trinh_ky", HIEPDUC)], "end_cap_trich_luc"),
    ("nhan-cha-me-con", HIEPDUC, {"needs_verification": False, "approved": False},
     [("kiem_tra_ho_so", HIEPDUC), ("trinh_ky", HIEPDUC)], "end_tu_choi"),
    ("giay-phep-xay-dung", DISTRICT, {"eligible": True},
     [("tiep_nhan_chuyen_ho_so", DISTRICT), ("tham_dinh_hien_trang", URBAN), ("trinh_ky_giay_phep", DISTRICT),
      ("nhan_ket_qua_tra", DISTRICT)], "end_cap_giay_phep"),
    ("giay-phep-xay-dung", DISTRICT, {"eligible": False},
     [("tiep_nhan_chuyen_ho_so", DISTRICT), ("tham_dinh_hien_trang", URBAN), ("soan_van_ban_tu_choi", URBAN)],
     "end_tu_choi"),
    ("tro-cap-xa-hoi", HIEPDUC, {"eligible": True},
     [("xem_xet_tham_dinh_xa", HIEPDUC), ("niem_yet_cong_khai", HIEPDUC), ("ky_van_ban_de_nghi", HIEPDUC),
      ("tham_dinh_phong_ldtbxh", LABOUR), ("quyet_dinh_tro_cap", DISTRICT)], "end_quyet_dinh_tro_cap"),
    ("tro-cap-xa-hoi", HIEPDUC, {"eligible": False},
     [("xem_xet_tham_dinh_xa", HIEPDUC), ("niem_yet_cong_khai", HIEPDUC), ("ky_van_ban_de_nghi", HIEPDUC),
      ("tham_dinh_phong_ldtbxh", LABOUR), ("thong_bao_khong_du_dieu_kien", LABOUR)], "end_khong_du_dieu_kien"),
]


@pytest.mark.parametrize("procedure,unit,answers,steps,end", PATHS, ids=[f"{p[0]}-{p[4]}-{i}" for i, p in enumerate(PATHS)])
def test_every_path_runs_to_completion_through_the_api(demo, api, procedure, unit, answers, steps, end):
    at("2026-12-01 09:00")
    received = receive(api, procedure, unit)
    assert received["status_code"] == 2
    assert received["code"].startswith(f"{unit}-261201-")
    dossier, taken = run_to_end(api, received["code"], answers)
    assert [(step, unit_code) for step, _lane, unit_code in taken] == steps
    assert dossier["status"] == "processed" and dossier["status_code"] == 9
    assert dossier["outcome"] == end
    desk = official_for(unit, "reception")
    returned = api(desk).post(f"/api/v1/dossiers/{received['code']}/return/", {"collected_by": "Nguyễn Văn A"},
                              format="json")
    assert returned.status_code == 200, returned.content
    assert returned.json()["status_code"] == 10
    history = api(desk).get(f"/api/v1/dossiers/{received['code']}/history/").json()
    kinds = [e["kind"] for e in history]
    assert kinds[0] == "received" and kinds[-1] == "returned"
    assert kinds.count("step_completed") == len(steps)
    assert kinds.count("claimed") == len(steps)
    assert "processed" in kinds


def test_reception_answers_code_statutory_due_time_and_status(demo, api):
    at("2026-12-01 09:00")  # Tuesday
    received = receive(api, "nhan-cha-me-con", HIEPDUC)
    assert received["code"] == f"{HIEPDUC}-261201-0001"
    assert received["due_at"] == "2026-12-04T09:00:00+07:00"  # 3 working days
    assert received["status"] == "received" and received["status_code"] == 2
    assert received["regime"] == "nd118-2025"
    assert [s["bpmn_id"] for s in received["open_steps"]] == ["kiem_tra_ho_so"]
    second = receive(api, "nhan-cha-me-con", HIEPDUC)
    assert second["code"] == f"{HIEPDUC}-261201-0002"


def test_a_dossier_received_in_2019_keeps_the_regime_of_decree_61(demo, api):
    at("2019-05-03 16:00")  # Friday after 15:00: counting starts Saturday 04/05/2019, a make-up working day
    received = receive(api, "nhan-cha-me-con", HIEPDUC)
    assert received["regime"] == "nd61-2018"
    assert received["code"] == f"{HIEPDUC}-190503-0001"
    assert received["due_at"] == "2019-05-07T17:00:00+07:00"  # Sat 4, Mon 6, Tue 7: ends 17:00 of the third day


def test_verification_branch_extends_the_statutory_due_time_by_five_working_days(demo, api):
    at("2026-12-01 09:00")
    received = receive(api, "nhan-cha-me-con", HIEPDUC)
    code = received["code"]
    specialist = official_for(HIEPDUC, "specialist")
    step = received["open_steps"][0]
    response = api(specialist).post(f"/api/v1/tasks/{step['id']}/complete/", {"data": {"needs_verification": True}},
                                    format="json")
    assert response.status_code == 200, response.content
    dossier = api_get_dossier(api, code)
    assert dossier["due_at"] == "2026-12-11T09:00:00+07:00"  # 04/12 + 5 working days
    assert dossier["legal_extension_days"] == "5.00"
    assert Event.objects.filter(dossier__code=code, kind="legal_extension_applied").count() == 1


def test_work_item_records_given_time_due_time_and_result(demo, api):
    clock = at("2026-12-01 09:00")
    received = receive(api, "tro-cap-xa-hoi", HIEPDUC)
    step = received["open_steps"][0]
    assert step["due_at"] == "2026-12-10T09:00:00+07:00"  # 7 working days
    clock.set(clock.now().replace(day=11))  # late by a day
    specialist = official_for(HIEPDUC, "specialist")
    done = api(specialist).post(f"/api/v1/tasks/{step['id']}/complete/", {"data": {}}, format="json")
    assert done.status_code == 200
    assert done.json()["result"] == "late"
    assert Dossier.objects.get(code=received["code"]).status == "processing"
