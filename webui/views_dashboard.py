"""The leaders' statistics dashboard (issue 7): the figures of a period for a unit (with or without its sub-units) and
a field — received, carried over, to process; finished early, on time, late; in progress not yet due, due soon,
overdue; returned; withdrawn and refused; the late and on-time rates — broken down by procedure, by unit and by
official, with charts, an XLSX export laid out like the periodic report, and every figure a link to the list of its
dossiers. Definitions: processes/statistics.py. The kind selector (administrative dossiers by default) shows instead
the figures of complaints, denunciations, petitions or dialogue opinions — received, accepted, not accepted,
forwarded, resolved on time or late, in progress — with the same tables, links and export (issue 9). Leaders
(unit_leader, signing_leader) see their units and sub-units, auditors every unit, everyone else gets 403. GET only;
bad filters are messages at their fields (400)."""
import io
from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from engine import clock
from engine.calendar import VN_TZ
from processes import privacy, statistics
from processes.models import AdministrativeUnit, CaseKind, Field, Procedure
from processes.selectors import is_auditor

from . import labels
from .auth import official_required
from .forms_dashboard import FILTER_NAMES, KINDS, DashboardForm, DrillDownForm
from .templatetags.webui import person, procedure_name, unit_name, vndt

PAGE_SIZE = 25

LABELS = {
    "received": gettext_lazy("Tiếp nhận trong kỳ"),
    "received_online": gettext_lazy("Tiếp nhận trực tuyến"),
    "received_offline": gettext_lazy("Tiếp nhận trực tiếp, bưu chính"),
    "carried_over": gettext_lazy("Kỳ trước chuyển sang"),
    "to_process": gettext_lazy("Tổng số phải giải quyết"),
    "early": gettext_lazy("Giải quyết trước hạn"),
    "on_time": gettext_lazy("Giải quyết đúng hạn"),
    "late": gettext_lazy("Giải quyết quá hạn"),
    "refused": gettext_lazy("Từ chối, dừng giải quyết"),
    "withdrawn": gettext_lazy("Công dân rút hồ sơ"),
    "not_yet_due": gettext_lazy("Đang giải quyết, chưa đến hạn"),
    "due_soon": gettext_lazy("Đang giải quyết, sắp đến hạn"),
    "overdue": gettext_lazy("Đang giải quyết, quá hạn"),
    "returned": gettext_lazy("Đã trả kết quả"),
    "finished": gettext_lazy("Đã giải quyết"),
    "in_progress": gettext_lazy("Đang giải quyết"),
    "late_total": gettext_lazy("Tổng số quá hạn"),
    "handled": gettext_lazy("Hồ sơ đã xử lý"),
    "late_handover": gettext_lazy("Hồ sơ có bước chuyển trễ"),
    "late_held": gettext_lazy("Hồ sơ trễ hạn khi đang giữ"),
}
# The breakdown tables' columns (short headers under group headers), in the periodic report's order.
TABLE_GROUPS = [
    (gettext_lazy("Số hồ sơ phải giải quyết"), [("to_process", gettext_lazy("Tổng số")),
                                                 ("carried_over", gettext_lazy("Kỳ trước chuyển sang")),
                                                 ("received", gettext_lazy("Mới tiếp nhận"))]),
    (gettext_lazy("Đã giải quyết"), [("early", gettext_lazy("Trước hạn")), ("on_time", gettext_lazy("Đúng hạn")),
                                     ("late", gettext_lazy("Quá hạn"))]),
    (gettext_lazy("Đang giải quyết"), [("not_yet_due", gettext_lazy("Chưa đến hạn")),
                                       ("due_soon", gettext_lazy("Sắp đến hạn")), ("overdue", gettext_lazy("Quá hạn"))]),
    (gettext_lazy("Kết thúc khác"), [("refused", gettext_lazy("Từ chối, dừng")), ("withdrawn", gettext_lazy("Rút"))]),
    (gettext_lazy("Trả kết quả"), [("returned", gettext_lazy("Đã trả"))]),
]
TABLE_COLUMNS = [name for _group, columns in TABLE_GROUPS for name, _label in columns]

# Cases (issue 9): the figures of a complaint, denunciation, petition or dialogue-opinion kind
# (processes/statistics.py, "Cases"); the labels that differ by kind in CASE_KIND_LABELS.
CASE_LABELS = {
    "received": gettext_lazy("Tiếp nhận trong kỳ"),
    "carried_over": gettext_lazy("Kỳ trước chuyển sang"),
    "to_process": gettext_lazy("Tổng số phải giải quyết"),
    "accepted": gettext_lazy("Thụ lý giải quyết"),
    "not_accepted": gettext_lazy("Không thụ lý"),
    "forwarded": gettext_lazy("Chuyển đơn, hướng dẫn"),
    "resolved_on_time": gettext_lazy("Giải quyết đúng hạn"),
    "resolved_late": gettext_lazy("Giải quyết quá hạn"),
    "stopped": gettext_lazy("Rút đơn, dừng giải quyết"),
    "not_yet_due": gettext_lazy("Đang giải quyết, chưa đến hạn"),
    "overdue": gettext_lazy("Đang giải quyết, quá hạn"),
    "resolved": gettext_lazy("Đã giải quyết"),
    "in_progress": gettext_lazy("Đang giải quyết"),
    "late_total": gettext_lazy("Tổng số quá hạn"),
}
CASE_KIND_LABELS = {
    CaseKind.PETITION: {
        "accepted": gettext_lazy("Thuộc thẩm quyền, trả lời"),
        "not_accepted": gettext_lazy("Từ chối, đề nghị bổ sung thông tin"),
        "forwarded": gettext_lazy("Chuyển cơ quan có thẩm quyền"),
        "resolved_on_time": gettext_lazy("Trả lời đúng hạn"),
        "resolved_late": gettext_lazy("Trả lời quá hạn"),
        "resolved": gettext_lazy("Đã trả lời"),
        "stopped": gettext_lazy("Rút, dừng xử lý"),
    },
    CaseKind.DIALOGUE: {
        "accepted": gettext_lazy("Đã phân công trả lời"),
        "resolved_on_time": gettext_lazy("Trả lời đúng hạn"),
        "resolved_late": gettext_lazy("Trả lời quá hạn"),
        "resolved": gettext_lazy("Đã trả lời"),
        "stopped": gettext_lazy("Rút, dừng xử lý"),
    },
}
# A dialogue opinion is assigned when it is recorded: never "not accepted" nor forwarded.
CASE_HIDDEN = {CaseKind.DIALOGUE: ("not_accepted", "forwarded")}
KIND_NAMES = dict(KINDS)


def labels_for(kind):
    """{category: label} of a kind's figures (the officials' figures included)."""
    if kind == CaseKind.ADMINISTRATIVE:
        return LABELS
    official = {name: LABELS[name] for name in statistics.OFFICIAL_CATEGORIES}
    return {**CASE_LABELS, **CASE_KIND_LABELS.get(kind, {}), **official}


def shown(kind, names):
    """The categories of `names` the page shows for a kind."""
    hidden = CASE_HIDDEN.get(kind, ())
    return [name for name in names if name not in hidden]


def table_groups(kind):
    """The breakdown tables' column groups of a kind: [(group, [(category, short header)])]."""
    if kind == CaseKind.ADMINISTRATIVE:
        return TABLE_GROUPS
    names = labels_for(kind)
    classified = [("accepted", names["accepted"]), ("not_accepted", names["not_accepted"]),
                  ("forwarded", names["forwarded"])]
    groups = [
        (gettext_lazy("Số đơn phải giải quyết"), [("to_process", gettext_lazy("Tổng số")),
                                                  ("carried_over", gettext_lazy("Kỳ trước chuyển sang")),
                                                  ("received", gettext_lazy("Mới tiếp nhận"))]),
        (gettext_lazy("Phân loại, xử lý"), [(n, label) for n, label in classified if n in shown(kind, [n])]),
        (names["resolved"], [("resolved_on_time", gettext_lazy("Đúng hạn")),
                             ("resolved_late", gettext_lazy("Quá hạn"))]),
        (gettext_lazy("Đang giải quyết"), [("not_yet_due", gettext_lazy("Chưa đến hạn")),
                                           ("overdue", gettext_lazy("Quá hạn"))]),
        (gettext_lazy("Kết thúc khác"), [("stopped", gettext_lazy("Rút, dừng"))]),
    ]
    return groups


def table_columns(kind):
    return [name for _group, columns in table_groups(kind) for name, _label in columns]


def leader_required(view):
    """Signed in (else the sign-in page), GET only (405), a leader or an auditor (403); passes the units the
    official may read (None = every unit) and the unit tree."""

    @require_GET
    @official_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        parents = statistics.unit_parents()
        allowed = statistics.statistics_units(request.user, parents)
        if allowed is not None and not allowed:
            raise PermissionDenied(_("Chỉ lãnh đạo đơn vị và thanh tra mới xem được thống kê."))
        return view(request, allowed, parents, *args, **kwargs)

    return wrapper


def _today():
    return clock.now().astimezone(VN_TZ).date()


def _filter_form(request, allowed, parents):
    """The bound filter form: the request's filters, or the defaults when it names none (a kind alone, the kind
    selector's link, keeps the other defaults)."""
    if any(name in request.GET for name in FILTER_NAMES if name != "kind"):
        data = request.GET
    else:
        data = DashboardForm.defaults(allowed, _today(), parents)
        if "kind" in request.GET:
            data["kind"] = request.GET["kind"]
    return DashboardForm(data, allowed=allowed, parents=parents, today=_today())


def _heading(form):
    unit = form.chosen_unit()
    if unit is None:
        where = _("Tất cả đơn vị")
    elif form.cleaned_data.get("subunits") and statistics.subtree_ids([unit.pk], form.parents) != {unit.pk}:
        where = _("%(unit)s và các đơn vị trực thuộc") % {"unit": unit_name(unit)}
    else:
        where = unit_name(unit)
    chosen_field = form.cleaned_data.get("field")
    first, last = form.days()
    return {"where": where, "period": form.period_label(), "first": f"{first:%d/%m/%Y}",
            "last": f"{last:%d/%m/%Y}", "field": chosen_field.name if chosen_field else _("Tất cả lĩnh vực"),
            "kind": form.chosen_kind(), "kind_name": KIND_NAMES[form.chosen_kind()]}


def _rate(value):
    return "—" if value is None else f"{value:.2f}".replace(".", ",") + " %"


def _cells(counts, base, extra, columns=None):
    """[(category, value, url)] for a table row."""
    return [(name, counts[name], f"{base}?{extra}category={name}") for name in (columns or TABLE_COLUMNS)]


@leader_required
def dashboard(request, allowed, parents):
    form = _filter_form(request, allowed, parents)
    wanted = request.GET.get("format", "")
    if wanted not in ("", "html", "xlsx"):
        form.is_valid()
        form.add_error(None, _("Chỉ xuất được tệp Excel (XLSX)."))
    if not form.is_valid():
        form.mark_errors()
        return render(request, "webui/dashboard.html", {"form": form}, status=400)
    scope = form.scope(clock.now())
    report = statistics.report(scope, parents)
    heading = _heading(form)
    if wanted == "xlsx":
        return xlsx_export(report, heading)
    query = form.query().urlencode()
    base = reverse("webui:statistics-dossiers")
    prefix = f"{query}&" if query else ""
    totals = report.totals
    kind = scope.kind
    names, columns = labels_for(kind), table_columns(kind)
    procedures = [{"label": procedure_name(r["procedure"]), "code": r["procedure"].code, "rate": _rate(r["on_time_rate"]),
                   "cells": _cells(r, base, f"{prefix}procedure={r['procedure'].code}&", columns)}
                  for r in report.by_procedure]
    units = [{"label": unit_name(r["unit"]), "code": r["unit"].code, "rate": _rate(r["on_time_rate"]),
              "cells": _cells(r, base, f"{prefix}row_unit={r['unit'].code}&", columns)} for r in report.by_unit]
    officials = [{"label": person(r["official"]), "username": r["official"].get_username(),
                  "cells": [(name, r[name], f"{base}?{prefix}official={r['official'].get_username()}&category={name}")
                            for name in statistics.OFFICIAL_CATEGORIES]} for r in report.by_official]
    figure = {name: {"value": totals[name], "label": names[name], "url": f"{base}?{prefix}category={name}"}
              for name in statistics.categories(kind)}
    parts = shown(kind, statistics.partition(kind))
    series = (("early", "on_time", "late", "overdue") if kind == CaseKind.ADMINISTRATIVE
              else ("resolved_on_time", "resolved_late", "not_yet_due", "overdue"))
    charts = {
        "outcome": {"labels": [str(names[n]) for n in parts],
                    "values": [totals[n] for n in parts], "keys": parts},
        "procedures": {"labels": [r["label"] for r in procedures[:10]],
                       "series": [{"key": n, "label": str(names[n]),
                                   "values": [r[n] for r in report.by_procedure[:10]]}
                                  for n in series]},
        "units": {"labels": [r["label"] for r in units[:20]],
                  "values": [float(r["on_time_rate"]) if r["on_time_rate"] is not None else None
                             for r in report.by_unit[:20]]},
        "drill": {"base": base, "query": prefix},
    }
    return render(request, "webui/dashboard.html", {
        "form": form, "heading": heading, "totals": totals, "figure": figure, "query": query,
        "late_rate": _rate(totals["late_rate"]), "on_time_rate": _rate(totals["on_time_rate"]),
        "groups": table_groups(kind), "procedures": procedures, "units": units, "officials": officials,
        "official_columns": [(n, LABELS[n]) for n in statistics.OFFICIAL_CATEGORIES], "charts": charts,
        "total_cells": _cells(totals, base, prefix, columns), "kind": kind, "is_case": kind != CaseKind.ADMINISTRATIVE,
        "case_figures": _case_figures(kind, figure) if kind != CaseKind.ADMINISTRATIVE else None,
        "kind_links": _kind_links(form, kind),
        "as_of": vndt(scope.as_of) if scope.as_of < scope.end else "",
    })


def _case_figures(kind, figure):
    """The figures' groups of a case kind: [(heading, (category, figure) of the group's own total or None,
    [(category, figure, tone)])]."""
    def entries(pairs):
        return [(name, figure[name], tone) for name, tone in pairs if name in shown(kind, [name])]

    return [
        (_("Phải giải quyết"), None, entries([("to_process", "main"), ("received", ""), ("carried_over", "")])),
        (_("Phân loại, xử lý"), None, entries([("accepted", "ok"), ("not_accepted", ""), ("forwarded", ""),
                                                ("stopped", "")])),
        (figure["resolved"]["label"], ("resolved", figure["resolved"]),
         entries([("resolved_on_time", "ok"), ("resolved_late", "bad")])),
        (_("Đang giải quyết"), ("in_progress", figure["in_progress"]),
         entries([("not_yet_due", "ok"), ("overdue", "bad")])),
    ]


def _kind_links(form, kind):
    """[(kind, label, url)]: the same filters for each kind."""
    query = form.query()
    links = []
    for value, label in KINDS:
        query["kind"] = value
        links.append((value, label, f"?{query.urlencode()}"))
    return links


@leader_required
def dossiers(request, allowed, parents):
    form = _filter_form(request, allowed, parents)
    figure = DrillDownForm(request.GET)
    valid = form.is_valid()
    if figure.is_valid():
        row = _row(figure)
        for name, message in row.get("errors", {}).items():
            figure.add_error(name, message)
    if not valid or not figure.is_valid():
        form.mark_errors()
        return render(request, "webui/dashboard_dossiers.html", {"form": form, "figure": figure}, status=400)
    scope = form.scope(clock.now())
    category = figure.cleaned_data["category"]
    if category not in (*statistics.categories(scope.kind), *statistics.OFFICIAL_CATEGORIES):
        figure.add_error("category", _("Không có chỉ tiêu này."))
        form.mark_errors()
        return render(request, "webui/dashboard_dossiers.html", {"form": form, "figure": figure}, status=400)
    qs = statistics.dossiers_for(scope, category, procedure_id=row.get("procedure_id"), unit_id=row.get("unit_id"),
                                 official_id=row.get("official_id"), parents=parents)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    back = form.query().urlencode()
    auditor = is_auditor(request.user)
    rows = [drill_row(d, auditor) for d in page]
    return render(request, "webui/dashboard_dossiers.html", {
        "form": form, "figure": figure, "heading": _heading(form), "label": labels_for(scope.kind)[category],
        "row": row,
        "page": page, "rows": rows, "query": query.urlencode(), "back": back,
    })


def drill_row(d, auditor):
    """One dossier of a figure's list. The statistics' lists never carry a denouncer's identity, whoever reads them
    (processes.privacy)."""
    return {
        "code": d.code,
        "url": reverse("webui:audit-dossier" if auditor else "webui:dossier-forms", args=[d.code]),
        "procedure": procedure_name(d.procedure), "unit": unit_name(d.receiving_unit),
        "applicant": privacy.export_name(d), "received": vndt(d.received_at), "due": vndt(d.due_at),
        "finished": vndt(d.finished_at) if d.finished_at else "—",
        "status": labels.DOSSIER_STATUSES.get(d.status, d.status),
        "reappointments": d.reappointments,
    }


def _row(figure):
    """The row a figure belongs to, as ids and a label; errors at the field for an unknown one."""
    data = figure.cleaned_data
    found = {}
    if data.get("procedure"):
        procedure = Procedure.objects.filter(code=data["procedure"]).first()
        if procedure is None:
            return {"errors": {"procedure": _("Không có thủ tục này.")}}
        found.update(procedure_id=procedure.pk, label=procedure_name(procedure))
    if data.get("row_unit"):
        unit = AdministrativeUnit.objects.filter(code=data["row_unit"]).first()
        if unit is None:
            return {"errors": {"row_unit": _("Không có đơn vị này.")}}
        found.update(unit_id=unit.pk, label=unit_name(unit))
    if data.get("official"):
        official = get_user_model().objects.filter(username=data["official"]).first()
        if official is None:
            return {"errors": {"official": _("Không có cán bộ này.")}}
        found.update(official_id=official.pk, label=person(official))
    return found


# ---------------------------------------------------------------------------------------------------------------
# the XLSX export


XLSX_COLUMNS = [
    # (group header, column header, category)
    (gettext_lazy("Số hồ sơ nhận giải quyết"), gettext_lazy("Tổng số"), "to_process"),
    (gettext_lazy("Số hồ sơ nhận giải quyết"), gettext_lazy("Trong kỳ: trực tuyến"), "received_online"),
    (gettext_lazy("Số hồ sơ nhận giải quyết"), gettext_lazy("Trong kỳ: trực tiếp, bưu chính"), "received_offline"),
    (gettext_lazy("Số hồ sơ nhận giải quyết"), gettext_lazy("Từ kỳ trước"), "carried_over"),
    (gettext_lazy("Số hồ sơ đã giải quyết"), gettext_lazy("Tổng số"), "finished"),
    (gettext_lazy("Số hồ sơ đã giải quyết"), gettext_lazy("Trả trước hạn"), "early"),
    (gettext_lazy("Số hồ sơ đã giải quyết"), gettext_lazy("Trả đúng hạn"), "on_time"),
    (gettext_lazy("Số hồ sơ đã giải quyết"), gettext_lazy("Trả quá hạn"), "late"),
    (gettext_lazy("Số hồ sơ đang giải quyết"), gettext_lazy("Tổng số"), "in_progress"),
    (gettext_lazy("Số hồ sơ đang giải quyết"), gettext_lazy("Chưa đến hạn"), "not_yet_due"),
    (gettext_lazy("Số hồ sơ đang giải quyết"), gettext_lazy("Sắp đến hạn"), "due_soon"),
    (gettext_lazy("Số hồ sơ đang giải quyết"), gettext_lazy("Quá hạn"), "overdue"),
    (gettext_lazy("Kết thúc khác"), gettext_lazy("Từ chối, dừng giải quyết"), "refused"),
    (gettext_lazy("Kết thúc khác"), gettext_lazy("Rút hồ sơ"), "withdrawn"),
    (gettext_lazy("Đã trả kết quả"), gettext_lazy("Trong kỳ"), "returned"),
    (gettext_lazy("Tỷ lệ"), gettext_lazy("Quá hạn (%)"), "late_rate"),
    (gettext_lazy("Tỷ lệ"), gettext_lazy("Đúng hạn (%)"), "on_time_rate"),
]


# The export of a case kind: the columns of the complaint and petition reports (received, classified, resolved on time
# or late, in progress), the labels of the kind.
CASE_XLSX_COLUMNS = [
    (gettext_lazy("Số đơn phải giải quyết"), gettext_lazy("Tổng số"), "to_process"),
    (gettext_lazy("Số đơn phải giải quyết"), gettext_lazy("Tiếp nhận trong kỳ"), "received"),
    (gettext_lazy("Số đơn phải giải quyết"), gettext_lazy("Từ kỳ trước"), "carried_over"),
    (gettext_lazy("Phân loại, xử lý"), None, "accepted"),
    (gettext_lazy("Phân loại, xử lý"), None, "not_accepted"),
    (gettext_lazy("Phân loại, xử lý"), None, "forwarded"),
    (None, gettext_lazy("Tổng số"), "resolved"),
    (None, gettext_lazy("Đúng hạn"), "resolved_on_time"),
    (None, gettext_lazy("Quá hạn"), "resolved_late"),
    (gettext_lazy("Đang giải quyết"), gettext_lazy("Tổng số"), "in_progress"),
    (gettext_lazy("Đang giải quyết"), gettext_lazy("Chưa đến hạn"), "not_yet_due"),
    (gettext_lazy("Đang giải quyết"), gettext_lazy("Quá hạn"), "overdue"),
    (gettext_lazy("Kết thúc khác"), gettext_lazy("Rút đơn, dừng giải quyết"), "stopped"),
    (gettext_lazy("Tỷ lệ"), gettext_lazy("Quá hạn (%)"), "late_rate"),
    (gettext_lazy("Tỷ lệ"), gettext_lazy("Đúng hạn (%)"), "on_time_rate"),
]
XLSX_TITLES = {
    CaseKind.ADMINISTRATIVE: gettext_lazy("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"),
    CaseKind.COMPLAINT: gettext_lazy("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT KHIẾU NẠI"),
    CaseKind.DENUNCIATION: gettext_lazy("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TỐ CÁO"),
    CaseKind.PETITION: gettext_lazy("TÌNH HÌNH, KẾT QUẢ XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ"),
    CaseKind.DIALOGUE: gettext_lazy("TÌNH HÌNH, KẾT QUẢ TRẢ LỜI Ý KIẾN TẠI HỘI NGHỊ ĐỐI THOẠI"),
}


def xlsx_columns(kind):
    """[(group header, column header, category)] of a kind's export."""
    if kind == CaseKind.ADMINISTRATIVE:
        return XLSX_COLUMNS
    names = labels_for(kind)
    return [(group if group is not None else names["resolved"], header if header is not None else names[name], name)
            for group, header, name in CASE_XLSX_COLUMNS if name in shown(kind, [name])]


def _number(value):
    return None if value is None else float(value) if not isinstance(value, int) else value


def xlsx_export(report, heading):
    """One sheet per breakdown, laid out like the periodic report on the settlement of administrative procedures
    (Circular 02/2017/TT-VPCP, the one-stop's annex): a title with the unit and the period, two header rows (groups,
    then columns, then the column numbers), one row per field with its procedures under it (per unit, per official
    on the other sheets), the total row last."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="center", horizontal="center")
    band = PatternFill("solid", fgColor="E8EEF6")
    kind = report.scope.kind
    columns = xlsx_columns(kind)

    def titled(sheet, title, first_header):
        width = 2 + len(columns)
        last = get_column_letter(width)
        lines = [(title, Font(bold=True, size=13)),
                 (_("Đơn vị: %(where)s") % {"where": heading["where"]}, bold),
                 (_("Kỳ báo cáo: %(period)s (từ ngày %(first)s đến ngày %(last)s)") % heading, None),
                 (_("Lĩnh vực: %(field)s") % heading, None)]
        for row, (text, font) in enumerate(lines, start=1):
            sheet.merge_cells(f"A{row}:{last}{row}")
            cell = sheet.cell(row=row, column=1, value=str(text))
            cell.alignment = Alignment(horizontal="center")
            if font:
                cell.font = font
        top = 6
        sheet.merge_cells(start_row=top, start_column=1, end_row=top + 1, end_column=1)
        sheet.merge_cells(start_row=top, start_column=2, end_row=top + 1, end_column=2)
        sheet.cell(row=top, column=1, value=str(_("STT")))
        sheet.cell(row=top, column=2, value=str(first_header))
        column = 3
        for group in dict.fromkeys(g for g, _c, _n in columns):
            span = sum(1 for g, _c, _n in columns if g == group)
            sheet.merge_cells(start_row=top, start_column=column, end_row=top, end_column=column + span - 1)
            sheet.cell(row=top, column=column, value=str(group))
            column += span
        for index, (_g, header, _n) in enumerate(columns, start=3):
            sheet.cell(row=top + 1, column=index, value=str(header))
        for index in range(1, width + 1):
            sheet.cell(row=top + 2, column=index, value=f"({index})")
            for row in (top, top + 1, top + 2):
                cell = sheet.cell(row=row, column=index)
                cell.font, cell.alignment, cell.border = bold, wrap, box
        sheet.column_dimensions["A"].width = 6
        sheet.column_dimensions["B"].width = 46
        for index in range(3, width + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 12
        sheet.row_dimensions[top + 1].height = 45
        sheet.freeze_panes = sheet.cell(row=top + 3, column=3)
        return top + 3

    def put(sheet, row, number, label, counts, emphasis=False):
        sheet.cell(row=row, column=1, value=number)
        sheet.cell(row=row, column=2, value=str(label))
        for index, (_g, _h, name) in enumerate(columns, start=3):
            sheet.cell(row=row, column=index, value=_number(counts.get(name)))
        for index in range(1, 3 + len(columns)):
            cell = sheet.cell(row=row, column=index)
            cell.border = box
            if emphasis:
                cell.font = bold
                cell.fill = band
        return row + 1

    title = XLSX_TITLES[kind]
    sheet = book.active
    sheet.title = str(_("Theo thủ tục"))
    row = titled(sheet, title, _("Lĩnh vực, thủ tục hành chính") if kind == CaseKind.ADMINISTRATIVE
                 else _("Lĩnh vực, quy trình giải quyết"))
    fields = {}
    for entry in report.by_procedure:
        fields.setdefault(entry["procedure"].field_id, []).append(entry)
    field_objects = Field.objects.in_bulk(list(fields))
    for number, (field_id, entries) in enumerate(sorted(fields.items(), key=lambda kv: field_objects[kv[0]].name),
                                                 start=1):
        subtotal = dict.fromkeys(statistics.counted(kind), 0)
        for entry in entries:
            for name in subtotal:
                subtotal[name] += entry[name]
        row = put(sheet, row, _roman(number), field_objects[field_id].name, statistics.with_rates(subtotal, kind),
                  emphasis=True)
        for index, entry in enumerate(entries, start=1):
            row = put(sheet, row, index, entry["procedure"].name, entry)
    put(sheet, row, "", _("Tổng cộng"), report.totals, emphasis=True)

    sheet = book.create_sheet(str(_("Theo đơn vị")))
    row = titled(sheet, title, _("Đơn vị tiếp nhận"))
    for index, entry in enumerate(report.by_unit, start=1):
        row = put(sheet, row, index, entry["unit"].name, entry)
    put(sheet, row, "", _("Tổng cộng"), report.totals, emphasis=True)

    sheet = book.create_sheet(str(_("Theo cán bộ")))
    for row_number, text in enumerate((title, _("Đơn vị: %(where)s") % {"where": heading["where"]},
                                       _("Kỳ báo cáo: %(period)s (từ ngày %(first)s đến ngày %(last)s)") % heading),
                                      start=1):
        sheet.cell(row=row_number, column=1, value=str(text)).font = bold
    headers = [_("STT"), _("Cán bộ"), _("Tên đăng nhập")] + [LABELS[n] for n in statistics.OFFICIAL_CATEGORIES]
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=5, column=index, value=str(header))
        cell.font, cell.alignment, cell.border = bold, wrap, box
    sheet.column_dimensions["B"].width = 32
    sheet.column_dimensions["C"].width = 20
    for index, entry in enumerate(report.by_official, start=1):
        values = [index, person(entry["official"]), entry["official"].get_username()]
        values += [entry[n] for n in statistics.OFFICIAL_CATEGORIES]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=5 + index, column=column, value=value).border = box

    buffer = io.BytesIO()
    book.save(buffer)
    first = report.scope.start.astimezone(VN_TZ)
    what = "" if kind == CaseKind.ADMINISTRATIVE else f"{kind}-"
    name = f"thong-ke-{what}{first:%Y%m%d}-{heading['last'][6:]}{heading['last'][3:5]}{heading['last'][:2]}.xlsx"
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _roman(number):
    numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    text = ""
    for value, numeral in numerals:
        while number >= value:
            text += numeral
            number -= value
    return text
