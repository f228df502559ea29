"""The demo's cases (processes/demo_cases.py): made through the real services, each in the state it is meant to show."""
from processes.demo_cases import seed_demo_cases
from processes.models import AdministrativeUnit, CaseDecision, Dossier


def test_the_demo_cases_show_every_clock_and_outcome(demo):
    seeded = {"district": AdministrativeUnit.objects.get(code="000.00.16.H57")}
    made = {d.pk for d in seed_demo_cases(seeded)}
    assert len(made) == 9 and seed_demo_cases(seeded) == []  # idempotent
    cases = {(d.procedure.code, d.applicant.full_name): d for d in Dossier.objects.filter(pk__in=made)
             .select_related("procedure", "applicant")}
    denounced = cases["to-cao", "Nguyễn Văn Tố"]
    assert denounced.status == "processing" and denounced.clock_phase == "resolution"
    assert CaseDecision.objects.filter(dossier=denounced).count() == 2
    assert cases["khieu-nai-lan-dau", "Võ Thị Thưa"].outcome == "end_da_giai_quyet"
    assert cases["khieu-nai-lan-dau", "Lê Thị Khiếu"].status in ("processing", "processed")
    outcomes = {d.outcome for d in cases.values()}
    assert {"end_chuyen_don", "end_da_tra_loi", "end_chuyen", "end_khong_thu_ly", "end_da_giai_quyet"} <= outcomes
    remote = cases["khieu-nai-lan-dau", "Trần Văn Nại"]
    assert remote.data["remote_area"] is True and remote.clock_phase == "resolution"
    late = next(d for d in cases.values() if d.outcome == "end_chuyen")
    assert "late" in late.flags
    assert len(cases) == 9 and sum(1 for d in cases.values() if d.status in ("received", "processing")) == 4
    assert cases["khieu-nai-lan-dau", "Đỗ Văn Kiện"].clock_phase == "resolution"
    assert cases["phan-anh-kien-nghi", "Hồ Thị Nghị"].status == "received"
    assert all(d.events.exists() for d in cases.values())


def test_finished_cases_are_not_results_to_hand_back_at_the_desk(demo):
    from processes.services.reception import desk_lists

    district = AdministrativeUnit.objects.get(code="000.00.16.H57")
    made = seed_demo_cases({"district": district})
    finished = [d for d in made if Dossier.objects.get(pk=d.pk).status == "processed"]
    assert len(finished) == 5
    assert not {d.pk for d in desk_lists(district)["to_return"]} & {d.pk for d in finished}
