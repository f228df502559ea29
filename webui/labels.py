"""The pages' vocabulary, translatable: the models' choice labels are plain Vietnamese (the data's language), so the
pages name roles, statuses, channels and events from here. Source strings are Vietnamese; English is in
webui/locale/en."""
from django.utils.translation import gettext_lazy as _, pgettext_lazy

ROLES = {
    "reception": _("Tiếp nhận một cửa"),
    "specialist": _("Chuyên viên"),
    "unit_leader": _("Lãnh đạo đơn vị"),
    "signing_leader": _("Lãnh đạo ký duyệt"),
    "process_designer": _("Thiết kế quy trình"),
    "auditor": _("Thanh tra, giám sát"),
    "unit_admin": _("Quản trị đơn vị"),
}

DOSSIER_STATUSES = {
    "registered": _("Mới đăng ký"),
    "received": _("Được tiếp nhận"),
    "not_accepted": _("Không được tiếp nhận"),
    "processing": _("Đang xử lý"),
    "supplement_requested": _("Chờ bổ sung giấy tờ"),
    "awaiting_fee": _("Chờ nộp phí, lệ phí"),
    "withdrawn": _("Công dân đã rút hồ sơ"),
    "stopped": _("Dừng xử lý"),
    "processed": _("Đã xử lý xong"),
    "returned": _("Đã trả kết quả"),
}

STEP_STATUSES = {
    "open": _("Đang chờ xử lý"),
    "completed": _("Đã hoàn thành"),
    "cancelled": _("Đã hủy"),
}

STEP_RESULTS = {"early": _("Trước hạn"), "on_time": _("Đúng hạn"), "late": _("Quá hạn")}

CHANNELS = {1: _("Trực tiếp"), 2: _("Trực tuyến"), 3: _("Bưu chính công ích")}

EVENTS = {  # names of what happened ("event" context: the same words are also buttons)
    "received": pgettext_lazy("event", "Tiếp nhận hồ sơ"),
    "step_assigned": pgettext_lazy("event", "Chuyển bước"),
    "claimed": pgettext_lazy("event", "Nhận xử lý"),
    "unclaimed": pgettext_lazy("event", "Trả lại bước"),
    "reassigned": pgettext_lazy("event", "Phân công lại"),
    "step_completed": pgettext_lazy("event", "Hoàn thành bước"),
    "step_cancelled": pgettext_lazy("event", "Hủy bước"),
    "legal_extension_applied": pgettext_lazy("event", "Gia hạn theo luật"),
    "processed": pgettext_lazy("event", "Xử lý xong"),
    "returned": pgettext_lazy("event", "Trả kết quả"),
    "attachment_added": pgettext_lazy("event", "Thêm tệp đính kèm"),
    "fee_recorded": pgettext_lazy("event", "Ghi nhận phí, lệ phí"),
    "fee_paid": pgettext_lazy("event", "Nộp phí, lệ phí"),
    "intake_incomplete": pgettext_lazy("event", "Phiếu yêu cầu bổ sung tại quầy"),
    "intake_refused": pgettext_lazy("event", "Phiếu từ chối tiếp nhận"),
    "timer_fired": pgettext_lazy("event", "Hẹn giờ trong quy trình"),
    "incident_opened": pgettext_lazy("event", "Sự cố"),
    "incident_retried": pgettext_lazy("event", "Chạy lại sau sự cố"),
    "incident_resolved": pgettext_lazy("event", "Đóng sự cố"),
    "deadline_warning": pgettext_lazy("event", "Cảnh báo sắp đến hạn"),
    "explanation_opened": pgettext_lazy("event", "Mở việc giải trình"),
    "explanation_filed": pgettext_lazy("event", "Nộp giải trình, xin lỗi"),
    "apology_deadline_passed": pgettext_lazy("event", "Quá hạn gửi văn bản xin lỗi"),
    "deadline_passed": pgettext_lazy("event", "Quá hạn giải quyết"),
    "appointment_passed": pgettext_lazy("event", "Quá ngày hẹn lại"),
    "escalated": pgettext_lazy("event", "Chuyển lãnh đạo xử lý trễ hạn"),
    "escalation_resolved": pgettext_lazy("event", "Đã xử lý trễ hạn"),
    "clock_item_cancelled": pgettext_lazy("event", "Hủy việc của đồng hồ pháp định"),
    "step_overrun": pgettext_lazy("event", "Bước quá thời gian"),
    "supplement_requested": pgettext_lazy("event", "Yêu cầu bổ sung"),
    "supplement_received": pgettext_lazy("event", "Nhận hồ sơ bổ sung"),
    "refused": pgettext_lazy("event", "Từ chối giải quyết"),
    "withdrawn": pgettext_lazy("event", "Rút hồ sơ"),
    "signal_thrown": pgettext_lazy("event", "Tín hiệu trong quy trình"),
    # complaints, denunciations, petitions (processes/services/case_clock.py)
    "clock_phase_started": pgettext_lazy("event", "Bắt đầu giai đoạn xử lý đơn"),
    "clock_extended": pgettext_lazy("event", "Gia hạn giải quyết theo quyết định"),
    "clock_phase_unknown": pgettext_lazy("event", "Giai đoạn thời hạn không có trong danh mục"),
    "dialogue_meeting_recorded": pgettext_lazy("event", "Ghi nhận hội nghị đối thoại"),
    "opinion_recorded": pgettext_lazy("event", "Ghi nhận ý kiến tại hội nghị đối thoại"),
    # unit administration (processes/services/units.py)
    "work_moved": pgettext_lazy("event", "Chuyển việc"),
    "official_added": pgettext_lazy("event", "Thêm cán bộ"),
    "official_deactivated": pgettext_lazy("event", "Khóa tài khoản"),
    "password_link_issued": pgettext_lazy("event", "Cấp liên kết đặt mật khẩu"),
    "role_granted": pgettext_lazy("event", "Phân công vai trò"),
    "role_revoked": pgettext_lazy("event", "Thu hồi vai trò"),
    "substitute_appointed": pgettext_lazy("event", "Cử người thay thế"),
    "substitute_revoked": pgettext_lazy("event", "Thu hồi việc cử người thay"),
    "office_hours_changed": pgettext_lazy("event", "Đổi giờ làm việc"),
    "calendar_override_set": pgettext_lazy("event", "Điều chỉnh ngày nghỉ, ngày làm việc"),
    "calendar_override_cleared": pgettext_lazy("event", "Bỏ điều chỉnh ngày"),
    # the designer studio (processes/services/studio.py, procedures.py, migration.py)
    "procedure_created": pgettext_lazy("event", "Tạo thủ tục mới"),
    "draft_created": pgettext_lazy("event", "Tạo bản nháp quy trình"),
    "draft_saved": pgettext_lazy("event", "Lưu bản nháp quy trình"),
    "draft_submitted": pgettext_lazy("event", "Gửi duyệt bản nháp"),
    "draft_approved": pgettext_lazy("event", "Phê duyệt bản nháp"),
    "draft_rejected": pgettext_lazy("event", "Trả lại bản nháp"),
    "draft_discarded": pgettext_lazy("event", "Hủy bản nháp"),
    "draft_deployed": pgettext_lazy("event", "Triển khai bản nháp"),
    "version_deployed": pgettext_lazy("event", "Triển khai phiên bản quy trình"),
    "version_migrated": pgettext_lazy("event", "Chuyển sang phiên bản quy trình khác"),
    # signing in (processes/signals.py)
    "signed_in": pgettext_lazy("event", "Đăng nhập"),
    "signed_out": pgettext_lazy("event", "Đăng xuất"),
    "sign_in_failed": pgettext_lazy("event", "Đăng nhập không thành công"),
    "demo_simulated_fault": pgettext_lazy("event", "Lỗi giả lập (bản trình diễn)"),
    # the citizens' portal (processes/services/portal.py) and the evaluation's records (contacts.py)
    "online_submitted": pgettext_lazy("event", "Nộp hồ sơ trực tuyến"),
    "online_received": pgettext_lazy("event", "Tiếp nhận hồ sơ trực tuyến"),
    "online_incomplete": pgettext_lazy("event", "Yêu cầu bổ sung hồ sơ trực tuyến"),
    "online_refused": pgettext_lazy("event", "Từ chối hồ sơ trực tuyến"),
    "rated": pgettext_lazy("event", "Đánh giá mức độ hài lòng"),
    "citizen_contact_recorded": pgettext_lazy("event", "Ghi nhận lần liên hệ của người dân"),
    # the admin site of the platform's operators (processes/admin.py)
    "admin_added": pgettext_lazy("event", "Thêm dữ liệu (trang quản trị hệ thống)"),
    "admin_changed": pgettext_lazy("event", "Sửa dữ liệu (trang quản trị hệ thống)"),
    "admin_deleted": pgettext_lazy("event", "Xóa dữ liệu (trang quản trị hệ thống)"),
}

# Work items that are not steps of the diagram (the statutory clock's).
ITEM_KINDS = {
    "explain_delay": _("Giải trình chậm trễ"),
    "escalation": _("Xử lý trễ hạn chưa giải trình"),
}

# Names of the data fields the procedures of bpmn/ ask for. A field not listed shows its own name. (The form-js
# schema stored with each step will replace this list.)
FIELDS = {
    "needs_verification": _("Cần xác minh quan hệ cha, mẹ, con?"),
    "approved": _("Đồng ý đăng ký?"),
    "eligible": _("Đủ điều kiện?"),
}

# What a case's end event declares for the statistics (processes.models.CaseOutcome; BPMN property case_outcome).
CASE_OUTCOMES = {
    "resolved": _("Đã giải quyết, trả lời"),
    "not_accepted": _("Không thụ lý, từ chối"),
    "forwarded": _("Chuyển cơ quan có thẩm quyền"),
}

YES = pgettext_lazy("answer", "Có")
NO = pgettext_lazy("answer", "Không")

# What the pages show for a denouncer's identity (processes.privacy.MASK_LABEL, the same msgid: named here so that
# makemessages, run from webui/, keeps its English).
DENOUNCER_MASKED = _("Người tố cáo (được giữ bí mật)")


def role(code):
    return ROLES.get(code, code)


def field(name):
    return FIELDS.get(name, name)


def case_outcome(value):
    return CASE_OUTCOMES.get(value, value)


def event(kind):
    return EVENTS.get(kind, kind)
