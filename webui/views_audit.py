"""The auditors' pages (issue 6): inspectors search the dossiers of every unit, read a dossier's timeline with the
verdict of its hash chain, read one official's history, and export (the history as PDF, a search as CSV or XLSX).
Read-only: GET only (any other method is 405), auditors only (403 for every other official), 404 for an unknown
dossier code or username; bad filters are messages at their fields (400). The dossier's page draws its version's diagram
with the time spent on each step, and each procedure version has a heatmap of its steps (processes/step_times.py,
drawn by static/webui/auditdiagram.js over bpmn-js's viewer, with the same facts in a table for pages without
JavaScript)."""
import csv
import io
from functools import wraps

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from engine import clock
from engine.calendar import VN_TZ
from processes import privacy, step_times
from processes.models import AdministrativeUnit, ProcessVersion, WorkItemStatus
from processes.selectors import is_auditor
from processes.services.audit import verify_chains

from . import labels, selectors_audit
from .auth import official_required
from .forms_audit import DATE_ATTRS, DATE_FORMATS, FLAGS, AuditSearchForm
from .forms_reception import DeskForm
from .selectors import step_names as step_names_of
from .templatetags.webui import event_details, person, unit_name, vndt

PAGE_SIZE = 25
EVENTS_PAGE_SIZE = 50
FLAG_LABELS = dict(FLAGS)


def auditor_required(view):
    """Signed in (else the sign-in page), GET only (any other method 405), an auditor (403)."""

    @require_GET
    @official_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_auditor(request.user):
            raise PermissionDenied(_("Chỉ thanh tra, giám sát mới xem được trang này."))
        return view(request, *args, **kwargs)

    return wrapper


def vndt_seconds(value):
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S") if value else "—"


def event_rows(events, step_names=None, problems=None, with_dossier=False):
    """The events as the tables show them (HTML and PDF alike)."""
    problems = problems or {}
    rows = []
    for event in events:
        rows.append({
            "id": event.pk,
            "seq": event.seq,
            "hash12": (event.hash or "")[:12],
            "at": vndt_seconds(event.at),
            "at_iso": event.at.astimezone(VN_TZ).isoformat(timespec="seconds"),
            "label": labels.event(event.kind),
            "kind": event.kind,
            "details": event_details(event, step_names or {}),
            "who": person(event.actor) if event.actor else _("Hệ thống"),
            "username": event.actor.get_username() if event.actor else "",
            "role": labels.role(event.actor_role) if event.actor_role else "",
            "unit": unit_name(event.actor_unit),
            "task": event.engine_task_id,
            "address": event.client_address or "",
            "problems": problems.get(event.pk, []),
            "dossier": event.dossier if with_dossier else None,
        })
    return rows


PROBLEM_LABELS = {
    "changed": "Nội dung đã bị sửa (không còn khớp mã băm)",
    "removed": "Thiếu bản ghi (bị xóa)",
    "out_of_order": "Bản ghi chen vào sai thứ tự",
    "unchained": "Ghi ngoài chuỗi (bỏ qua trigger)",
}


def chain_verdict(dossier):
    """(intact, [problem dicts], {event id: [problem labels]}) for the dossier's stream."""
    found = verify_chains(stream=f"dossier:{dossier.pk}")
    by_event = {}
    listed = []
    for p in found:
        label = _(PROBLEM_LABELS.get(p.problem, p.problem))
        listed.append({"problem": p.problem, "label": label, "seq": p.seq, "event_id": p.event_id, "detail": p.detail})
        if p.event_id is not None:
            by_event.setdefault(p.event_id, []).append(label)
    return not found, listed, by_event


# ---------------------------------------------------------------------------------------------------------------
# search and its exports


@auditor_required
def search(request):
    wanted = request.GET.get("format", "")
    searched = any(name in request.GET for name in AuditSearchForm.base_fields)
    form = AuditSearchForm(request.GET if searched else None)
    status = 200
    format_error = ""
    if wanted not in ("", "html", "csv", "xlsx"):
        format_error = _("Chỉ xuất được CSV hoặc XLSX.")
        status = 400
    if searched and not form.is_valid():
        form.mark_errors()
        status = 400
    if status == 200:
        filters = form.filters() if searched else {}
        dossiers = selectors_audit.search_dossiers(**filters)
        if wanted == "csv":
            return csv_export(dossiers)
        if wanted == "xlsx":
            return xlsx_export(dossiers)
        page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        page = None
    query = request.GET.copy()
    for name in ("page", "format"):
        query.pop(name, None)
    return render(request, "webui/audit_search.html", {
        "form": form, "page": page, "query": query.urlencode(), "format_error": format_error,
        "flag_labels": FLAG_LABELS, "rows": [search_row(d) for d in page] if page else [],
    }, status=status)


def search_row(dossier):
    flags = [FLAG_LABELS.get(f, f) for f in (dossier.flags or [])]
    if getattr(dossier, "explained", False):
        flags.append(FLAG_LABELS["explained"])
    return {
        "dossier": dossier,
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "applicant": dossier.applicant.full_name,
        "unit": unit_name(dossier.receiving_unit),
        "received": vndt(dossier.received_at),
        "due": vndt(dossier.due_at),
        "status": labels.DOSSIER_STATUSES.get(dossier.status, dossier.status),
        "reappointments": dossier.reappointments,
        "flags": [str(f) for f in flags],
    }


def export_header():
    return [_("Mã hồ sơ"), _("Thủ tục"), _("Người nộp"), _("Đơn vị tiếp nhận"), _("Tiếp nhận lúc"),
            _("Hạn giải quyết"), _("Trạng thái"), _("Số lần hẹn lại"), _("Dấu hiệu")]


def export_values(dossier):
    row = search_row(dossier)
    # exports never carry a denouncer's identity, auditors' included (processes.privacy); their pages do
    return [row["code"], row["procedure"], privacy.export_name(dossier), row["unit"], row["received"], row["due"],
            str(row["status"]), row["reappointments"], "; ".join(row["flags"])]


def defused(value):
    """A text cell a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_name(extension):
    return f"ho-so-thanh-tra-{clock.now().astimezone(VN_TZ):%Y%m%d-%H%M}.{extension}"


class _Echo:
    def write(self, value):
        return value


def csv_export(dossiers):
    """UTF-8 with a BOM, so that Excel reads the Vietnamese; streamed, whatever the number of rows."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(export_header())
        for dossier in dossiers.iterator(chunk_size=1000):
            yield writer.writerow([defused(v) for v in export_values(dossier)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_name("csv")}"'
    return response


def xlsx_export(dossiers):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Hồ sơ"))
    for column, width in zip("ABCDEFGHI", (26, 40, 24, 28, 18, 18, 22, 10, 40)):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)
    header = []
    for title in export_header():
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for dossier in dossiers.iterator(chunk_size=1000):
        sheet.append([defused(v) for v in export_values(dossier)])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{export_name("xlsx")}"'
    return response


# ---------------------------------------------------------------------------------------------------------------
# a dossier's timeline and its PDF


def _timeline(code, export=False):
    dossier = selectors_audit.dossier_by_code(code)
    if dossier is None:
        raise Http404(_("Không có hồ sơ này."))
    intact, problems, by_event = chain_verdict(dossier)
    events = selectors_audit.dossier_timeline(dossier)
    if export:  # the PDF never carries a denouncer's identity (processes.privacy); the page shows it to auditors
        events = privacy.redact_events(events, dossier, export=True)
        dossier = privacy.for_export(dossier)
    rows = event_rows(events, step_names_of(dossier), by_event)
    return {"dossier": dossier, "rows": rows, "intact": intact, "problems": problems,
            "status": labels.DOSSIER_STATUSES.get(dossier.status, dossier.status),
            "received": vndt_seconds(dossier.received_at), "due": vndt_seconds(dossier.due_at)}


@auditor_required
def dossier(request, code):
    context = _timeline(code)
    context.update(dossier_diagram(context["dossier"]))
    return render(request, "webui/audit_dossier.html", context)


@auditor_required
def dossier_pdf(request, code):
    from processes.services.pdf import render_pdf

    context = {**_timeline(code, export=True), "printed_at": vndt_seconds(clock.now()),
               "printed_by": person(request.user)}
    pdf = render_pdf(render_to_string("processes/audit_history_pdf.html", context))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="lich-su-{code}.pdf"'
    return response


# ---------------------------------------------------------------------------------------------------------------
# one official's history


@auditor_required
def official(request, username):
    who = selectors_audit.official_by_username(username)
    if who is None:
        raise Http404(_("Không có cán bộ này."))
    page = Paginator(selectors_audit.official_events(who), EVENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webui/audit_official.html", {
        "official": who, "page": page, "rows": event_rows(page, with_dossier=True),
    })


# ---------------------------------------------------------------------------------------------------------------
# diagrams: a dossier's steps on its version's diagram, and a version's heatmap


def fmt_hours(hours):
    """Office hours as "15 giờ 30 phút" (working time: never turned into days, a working day's length varies)."""
    minutes = int(round(float(hours) * 60))
    h, m = divmod(minutes, 60)
    parts = []
    if h:
        parts.append(_("%(n)s giờ") % {"n": h})
    if m or not h:
        parts.append(_("%(n)s phút") % {"n": m})
    return " ".join(parts)


def fmt_duration(value):
    """A plain duration with its two largest units: "1 ngày 7 giờ", "3 giờ 30 phút", "45 phút"; "—" for None."""
    if value is None:
        return "—"
    minutes = int(round(value.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    if days:
        parts = [_("%(n)s ngày") % {"n": days}] + ([_("%(n)s giờ") % {"n": h}] if h else [])
    elif h:
        parts = [_("%(n)s giờ") % {"n": h}] + ([_("%(n)s phút") % {"n": m}] if m else [])
    else:
        parts = [_("%(n)s phút") % {"n": m}]
    return " ".join(parts)


def fmt_share(share):
    return "—" if share is None else f"{round(share * 100)}%"


def _hand_over_verdict(item):
    if item.status == WorkItemStatus.CANCELLED:
        return "cancelled", _("Đã hủy")
    if item.due_at is None:
        return "no_due", _("Không có hạn")
    if item.status == WorkItemStatus.OPEN:
        return ("overdue", _("Đang xử lý, đã quá hạn")) if item.late else ("running", _("Đang xử lý, còn hạn"))
    return ("late", _("Trễ hạn")) if item.late else ("on_time", _("Đúng hạn"))


def _step_label(mark):
    text = fmt_hours(mark.working_hours)
    if mark.count > 1:
        text = _("%(count)s lần · %(time)s") % {"count": mark.count, "time": text}
    return text


def dossier_diagram(dossier):
    """The context of the dossier's diagram and of its table: the marks as JSON for auditdiagram.js, and the rows."""
    marks = step_times.dossier_steps(dossier)
    steps, rows = [], []
    for mark in marks.steps:
        if mark.overdue:
            state = _("quá hạn")
        elif mark.active:
            state = _("đang xử lý")
        elif mark.completed:
            state = _("đã xong")
        else:
            state = _("đã hủy")
        steps.append({
            "id": mark.bpmn_id, "completed": mark.completed, "active": mark.active, "overdue": mark.overdue,
            "count": mark.count, "label": _step_label(mark) if mark.count else "",
            "title": f"{mark.name}: {state}",
        })
        for number, item in enumerate(mark.items, start=1):
            verdict, verdict_label = _hand_over_verdict(item)
            rows.append({
                "bpmn_id": mark.bpmn_id, "name": mark.name, "first": number == 1, "span": len(mark.items),
                "number": number, "of": len(mark.items), "unit": unit_name(item.unit),
                "given": vndt(item.given_at), "due": vndt(item.due_at),
                "completed": vndt(item.completed_at) if item.status == WorkItemStatus.COMPLETED else "",
                "status": item.status,
                "working": fmt_hours(item.working_hours) if item.counted else "—",
                "elapsed": fmt_duration(item.elapsed) if item.counted else "—",
                "allocation": fmt_hours(item.allocation_hours) if item.allocation_hours is not None else "—",
                "verdict": verdict, "verdict_label": verdict_label,
            })
        if mark.count > 1:
            rows.append({"bpmn_id": mark.bpmn_id, "total": True, "count": mark.count,
                         "working": fmt_hours(mark.working_hours), "elapsed": fmt_duration(mark.elapsed),
                         "verdict": "overdue" if mark.overdue else ""})
    data = {"mode": "dossier", "xml": dossier.version.bpmn_xml, "steps": steps, "reached_end": marks.reached_end,
            "labels": {"error": _("Không vẽ được sơ đồ quy trình: xem bảng bên dưới."),
                       "no_drawing": _("Phiên bản này được triển khai từ một tệp không có hình vẽ sơ đồ (BPMNDI): "
                                       "xem bảng bên dưới.")}}
    return {"diagram_data": data, "step_rows": rows, "steps_now": vndt(marks.now), "version": dossier.version,
            "heatmap_url": reverse("webui:audit-heatmap", args=[dossier.procedure.code, dossier.version.number])}


METRIC_CHOICES = [("median", gettext_lazy("Trung vị")), ("p90", gettext_lazy("Phân vị 90"))]


class HeatmapForm(DeskForm):
    """The heatmap's filters: reception period (local days, dd/mm/yyyy), receiving unit (and its sub-units), and the
    figure the colours follow."""

    received_from = forms.DateField(label=gettext_lazy("Tiếp nhận từ ngày"), required=False,
                                    input_formats=DATE_FORMATS, widget=forms.TextInput(attrs=DATE_ATTRS),
                                    error_messages={"invalid": gettext_lazy("Ngày phải có dạng dd/mm/yyyy.")})
    received_to = forms.DateField(label=gettext_lazy("đến ngày"), required=False, input_formats=DATE_FORMATS,
                                  widget=forms.TextInput(attrs=DATE_ATTRS),
                                  error_messages={"invalid": gettext_lazy("Ngày phải có dạng dd/mm/yyyy.")})
    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị tiếp nhận"), required=False, to_field_name="code",
                                  queryset=AdministrativeUnit.objects.order_by("code"),
                                  empty_label=gettext_lazy("— Tất cả —"),
                                  error_messages={"invalid_choice": gettext_lazy("Không có đơn vị này.")})
    metric = forms.ChoiceField(label=gettext_lazy("Tô màu theo"), required=False, choices=METRIC_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].label_from_instance = lambda u: unit_name(u)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return cleaned


def _heat_overlay(stat):
    if not stat.completions:
        return []
    return [
        _("Trung vị %(median)s · P90 %(p90)s") % {"median": fmt_duration(stat.median), "p90": fmt_duration(stat.p90)},
        _("Trễ hạn %(share)s (%(late)s/%(due)s) · %(n)s lần") % {
            "share": fmt_share(stat.late_share), "late": stat.late, "due": stat.with_due, "n": stat.completions},
    ]


def _allocation_label(stat):
    if stat.allocation_days is not None:
        return _("%(n)s ngày làm việc") % {"n": str(stat.allocation_days).rstrip("0").rstrip(".")}
    if stat.allocation_hours is not None:
        return fmt_hours(stat.allocation_hours)
    return "—"


@auditor_required
def heatmap(request, code, number):
    version = (ProcessVersion.objects.select_related("procedure")
               .filter(procedure__code=code, number=number).first())
    if version is None:
        raise Http404(_("Không có phiên bản quy trình này."))
    form = HeatmapForm(request.GET or None)
    status, stats, metric = 200, None, "median"
    if form.is_bound and not form.is_valid():
        form.mark_errors()
        status = 400
    else:
        filters = {name: form.cleaned_data.get(name) for name in ("received_from", "received_to", "unit")} \
            if form.is_bound else {}
        metric = (form.cleaned_data.get("metric") if form.is_bound else "") or "median"
        stats = step_times.version_heatmap(version, **filters)
    rows, steps = [], []
    for stat in stats or ():
        ratio = stat.ratio.get(metric)
        rows.append({
            "bpmn_id": stat.bpmn_id, "name": stat.name, "allocation": _allocation_label(stat),
            "completions": stat.completions, "median": fmt_duration(stat.median), "p90": fmt_duration(stat.p90),
            "usage_median": fmt_share(stat.usage_median), "usage_p90": fmt_share(stat.usage_p90),
            "late": stat.late, "with_due": stat.with_due, "late_share": fmt_share(stat.late_share),
            "bucket": stat.bucket.get(metric, 0), "basis": stat.basis,
            "ratio": fmt_share(ratio) if ratio is not None else "—",
        })
        steps.append({"id": stat.bpmn_id, "bucket": stat.bucket, "basis": stat.basis, "lines": _heat_overlay(stat),
                      "title": stat.name})
    data = {"mode": "heatmap", "xml": version.bpmn_xml, "steps": steps, "metric": metric,
            "labels": {"error": _("Không vẽ được sơ đồ quy trình: xem bảng bên dưới."),
                       "no_drawing": _("Phiên bản này được triển khai từ một tệp không có hình vẽ sơ đồ (BPMNDI): "
                                       "xem bảng bên dưới.")}}
    others = (ProcessVersion.objects.filter(procedure=version.procedure).order_by("-number")
              .annotate(dossier_count=Count("dossiers")).values("number", "deployed_at", "dossier_count"))
    return render(request, "webui/audit_heatmap.html", {
        "version": version, "procedure": version.procedure, "form": form, "rows": rows, "diagram_data": data,
        "metric": metric, "versions": others, "total": sum(r["completions"] for r in rows),
        "buckets": HEAT_LEGEND,
    }, status=status)


HEAT_LEGEND = [
    (1, gettext_lazy("≤ 50% thời gian cho phép"), gettext_lazy("≤ 20% bước chậm nhất")),
    (2, gettext_lazy("50–80%"), gettext_lazy("20–40%")),
    (3, gettext_lazy("80–100%"), gettext_lazy("40–60%")),
    (4, gettext_lazy("100–150% (trễ)"), gettext_lazy("60–80%")),
    (5, gettext_lazy("> 150% (trễ nhiều)"), gettext_lazy("> 80%")),
]


@auditor_required
def procedures(request):
    """Every deployed version of every procedure, with its number of dossiers: the way to the heatmaps."""
    versions = (ProcessVersion.objects.select_related("procedure").annotate(dossier_count=Count("dossiers"))
                .order_by("procedure__name", "-number"))
    return render(request, "webui/audit_heatmap.html", {"version_list": versions})
