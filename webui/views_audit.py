"""The auditors' pages (issue 6): inspectors search the dossiers of every unit, read a dossier's timeline with the
verdict of its hash chain, read one official's history, and export (the history as PDF, a search as CSV or XLSX).
Read-only: GET only (any other method is 405), auditors only (403 for every other official), 404 for an unknown
dossier code or username; bad filters are messages at their fields (400)."""
import csv
import io
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from engine import clock
from engine.calendar import VN_TZ
from processes.selectors import is_auditor
from processes.services.audit import verify_chains

from . import labels, selectors_audit
from .auth import official_required
from .forms_audit import FLAGS, AuditSearchForm
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
    return [row["code"], row["procedure"], row["applicant"], row["unit"], row["received"], row["due"],
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


def _timeline(code):
    dossier = selectors_audit.dossier_by_code(code)
    if dossier is None:
        raise Http404(_("Không có hồ sơ này."))
    intact, problems, by_event = chain_verdict(dossier)
    rows = event_rows(selectors_audit.dossier_timeline(dossier), step_names_of(dossier), by_event)
    return {"dossier": dossier, "rows": rows, "intact": intact, "problems": problems,
            "status": labels.DOSSIER_STATUSES.get(dossier.status, dossier.status),
            "received": vndt_seconds(dossier.received_at), "due": vndt_seconds(dossier.due_at)}


@auditor_required
def dossier(request, code):
    return render(request, "webui/audit_dossier.html", _timeline(code))


@auditor_required
def dossier_pdf(request, code):
    from processes.services.pdf import render_pdf

    context = {**_timeline(code), "printed_at": vndt_seconds(clock.now()), "printed_by": person(request.user)}
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
