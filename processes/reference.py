"""Reference data every database needs (also loaded by migration 0003 and by tests after a flush)."""
from datetime import date

REGIMES = [
    {
        "code": "nd61-2018",
        "name": "Nghị định 61/2018/NĐ-CP và Thông tư 01/2018/TT-VPCP",
        "effective_from": date(2018, 6, 21),
        "effective_to": date(2025, 6, 30),
        "forms": [
            {"code": "01", "name": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"},
            {"code": "02", "name": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"},
            {"code": "03", "name": "Phiếu từ chối tiếp nhận giải quyết hồ sơ"},
            {"code": "04", "name": "Phiếu xin lỗi và hẹn lại ngày trả kết quả"},
            {"code": "05", "name": "Phiếu kiểm soát quá trình giải quyết hồ sơ"},
            {"code": "06", "name": "Sổ theo dõi hồ sơ"},
        ],
        "late_rules": {
            "apology_by": "1 working day before the due time (Decree 61/2018 Art. 19.9)",
            "apology_lead_working_days": 1,
            "reappointments_allowed": 1,
            "apology_form": "04",
            "supplementation_restarts_clock": True,
        },
    },
    {
        "code": "nd118-2025",
        "name": "Nghị định 118/2025/NĐ-CP và Thông tư 03/2025/TT-VPCP",
        "effective_from": date(2025, 7, 1),
        "effective_to": None,
        "forms": [
            {"code": "01", "name": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"},
            {"code": "02", "name": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"},
            {"code": "03", "name": "Phiếu từ chối tiếp nhận giải quyết hồ sơ"},
            {"code": "04", "name": "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"},
            {"code": "05", "name": "Thông báo dừng giải quyết hồ sơ"},
            {"code": "06", "name": "Phiếu kiểm soát quá trình giải quyết hồ sơ"},
            {"code": "07", "name": "Sổ theo dõi hồ sơ"},
        ],
        "late_rules": {
            "apology_by": "1 working day before the due time",
            "apology_lead_working_days": 1,
            "reappointments_allowed": 1,
            "apology_form": "04",
            "control_sheet_form": "06",
            "supplementation_restarts_clock": True,
        },
    },
]


def ensure_reference_data():
    from .models import LegalRegime

    for row in REGIMES:
        LegalRegime.objects.update_or_create(code=row["code"], defaults=row)
