"""Who may read a denouncer's identity (issue 9; Law on Denunciation 2018, Art. 47: the denouncer's name, address and
personal details are kept confidential). The rule, in one place:

- only dossiers of a denunciation procedure (Procedure.kind = CaseKind.DENUNCIATION) are protected; every other kind
  shows its applicant as before;
- the officials assigned to the case read the denouncer's identity: the one who received it (Dossier.received_by) or
  returned its result (returned_by), and whoever claimed, was reassigned or completed any of its work items
  (WorkItem.claimed_by / completed_by — an open step claimed by the official included);
- auditors (a Role.AUDITOR membership) read it on their own pages;
- everyone else — another official of the same unit who holds the step's role but has not taken it, the unit's
  leaders before they act, another unit's officials (who do not see the dossier at all: 404) — reads MASK, with no
  name, ID number, date of birth, phone, e-mail or address;
- exports (the audit's CSV, XLSX and PDF, the statistics' drill-down lists) never carry it, whoever exports;
- the public portal never shows it, and a denunciation is not found by the denouncer's phone number (that would
  confirm that someone denounced).

Nothing here writes: it reads, and hands out copies (a masked PersonalRecord is never saved)."""
import copy
import html

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy

from .models import CaseKind, Dossier, Membership, PersonalRecord, Role, WorkItem

# The printed forms are Vietnamese whatever the page's language; the pages and exports translate the label.
MASK = "Người tố cáo (được giữ bí mật)"
MASK_LABEL = gettext_lazy("Người tố cáo (được giữ bí mật)")
IDENTITY_FIELDS = ("full_name", "id_number", "date_of_birth", "phone", "email", "address")
ANNOTATION = "applicant_shown"


def _is_auditor(user):
    return Membership.objects.filter(user=user, role=Role.AUDITOR).exists()


def _signed_in(user):
    return user is not None and getattr(user, "is_authenticated", False)


def is_protected(dossier):
    """The dossier's applicant is a denouncer."""
    return dossier.procedure.kind == CaseKind.DENUNCIATION


def protected_q(prefix=""):
    return Q(**{f"{prefix}procedure__kind": CaseKind.DENUNCIATION})


def assigned_q(user, prefix=""):
    """Dossiers (or, with prefix 'dossier__', rows pointing at one) the official is assigned to."""
    items = WorkItem.objects.filter(dossier=OuterRef(f"{prefix}pk")).filter(Q(claimed_by=user) | Q(completed_by=user))
    return Q(**{f"{prefix}received_by": user}) | Q(**{f"{prefix}returned_by": user}) | Q(Exists(items))


def visible_q(user, prefix=""):
    """Rows whose applicant the official may read. Auditors: every row (their pages; exports mask regardless)."""
    if not _signed_in(user):
        return ~protected_q(prefix)
    if _is_auditor(user):
        return Q()
    return ~protected_q(prefix) | assigned_q(user, prefix)


def with_visibility(qs, user):
    """The dossiers annotated with `applicant_shown` (one query for a whole list): applicant_visible reads it."""
    condition = visible_q(user)
    if not condition:  # auditors
        return qs.annotate(**{ANNOTATION: Value(True, output_field=BooleanField())})
    return qs.annotate(**{ANNOTATION: Case(When(condition, then=Value(True)), default=Value(False),
                                            output_field=BooleanField())})


def applicant_visible(user, dossier):
    """May this official read the dossier's applicant? Always for other kinds than denunciations."""
    if not is_protected(dossier):
        return True
    if not _signed_in(user):
        return False
    annotated = getattr(dossier, ANNOTATION, None)
    if annotated is not None:
        return bool(annotated)
    cache = dossier.__dict__.setdefault("_applicant_visible_to", {})
    if user.pk not in cache:
        cache[user.pk] = bool(
            user.pk in (dossier.received_by_id, dossier.returned_by_id)
            or WorkItem.objects.filter(dossier_id=dossier.pk).filter(Q(claimed_by=user) | Q(completed_by=user)).exists()
            or _is_auditor(user))
    return cache[user.pk]


def visible_ids(user, dossiers):
    """The ids of the given dossiers whose applicant the official may read (one query for the protected ones)."""
    dossiers = list(dossiers)
    shown = {d.pk for d in dossiers if not is_protected(d)}
    protected = [d.pk for d in dossiers if is_protected(d)]
    if protected and _signed_in(user):
        shown |= set(Dossier.objects.filter(pk__in=protected).filter(visible_q(user)).values_list("pk", flat=True))
    return shown


# ---------------------------------------------------------------------------------------------------------------
# what is shown instead


def masked_applicant(label=None):
    """The applicant as the pages show a protected one: the label, nothing else."""
    return {"full_name": str(label if label is not None else MASK_LABEL), "id_number": "", "phone": "", "email": "",
            "address": "", "masked": True}


def applicant_view(user, dossier):
    """The applicant's record as a dict for templates and the API, masked when the official may not read it."""
    if not applicant_visible(user, dossier):
        return masked_applicant()
    record = dossier.applicant
    return {**{name: getattr(record, name) for name in IDENTITY_FIELDS}, "masked": False}


def applicant_name(user, dossier):
    return applicant_view(user, dossier)["full_name"]


def export_name(dossier):
    """The applicant's name in an export: never a denouncer's, whoever exports."""
    return str(MASK_LABEL) if is_protected(dossier) else dossier.applicant.full_name


def masked_copy(dossier, label=MASK):
    """A copy of the dossier whose applicant is a blank, unsaved record named `label` (the printed forms read it
    through dossier.applicant); returned_to, which may hold the denouncer's name, says the label too, and the
    workflow's data (the letter's content typed at intake) no longer quotes the identity. Never save it."""
    clone = copy.copy(dossier)
    clone.__dict__.pop("_applicant_visible_to", None)
    clone.data = _redact_data(dossier.data, _identity_values(dossier), label)
    clone.applicant = PersonalRecord(full_name=label)
    if clone.returned_to:
        clone.returned_to = label
    return clone


def for_viewer(user, dossier):
    """The dossier itself, or its masked copy when the official may not read the applicant (the printed forms)."""
    return dossier if applicant_visible(user, dossier) else masked_copy(dossier)


def for_export(dossier):
    """The dossier for an export: a denunciation's always masked."""
    return masked_copy(dossier) if is_protected(dossier) else dossier


def returned_to(user, dossier):
    """Who collected the result: a denouncer (or their representative) is masked like the applicant."""
    if not dossier.returned_to or applicant_visible(user, dossier):
        return dossier.returned_to
    return str(MASK_LABEL)


# ---------------------------------------------------------------------------------------------------------------
# text and events that may quote the identity (the apology letter, "returned" events naming the collector)


def _identity_values(dossier):
    """The denouncer's identity as it may be quoted: name, ID number, phone, e-mail, address, and whom the result
    went to (a dossier), longest first (a name inside an address goes with it)."""
    record = dossier.applicant
    values = [getattr(record, name) for name in ("full_name", "id_number", "phone", "email", "address")]
    if getattr(dossier, "returned_to", ""):
        values.append(dossier.returned_to)
    values = {str(v).strip() for v in values if v and len(str(v).strip()) >= 3}
    return sorted(values, key=len, reverse=True)


def redact_text(text, dossier, label=MASK):
    """The text with the applicant's name, ID number, phone, e-mail, address (and whom the result went to) replaced
    by the label; HTML-escaped occurrences too."""
    if not text:
        return text
    for value in _identity_values(dossier):
        text = text.replace(value, label)
        escaped = html.escape(value)
        if escaped != value:
            text = text.replace(escaped, label)
    return text


def _redact_data(data, values, label):
    if isinstance(data, str):
        for value in values:
            data = data.replace(value, label)
        return data
    if isinstance(data, dict):
        return {key: _redact_data(item, values, label) for key, item in data.items()}
    if isinstance(data, list):
        return [_redact_data(item, values, label) for item in data]
    return data


def redact_data(data, dossier, label=None):
    """A copy of JSON-like data (the workflow's data: the letter's content typed at intake) without the identity."""
    return _redact_data(data, _identity_values(dossier), str(label if label is not None else MASK_LABEL))


def redact_events(events, dossier, user=None, *, export=False):
    """The dossier's events as a list; for an official who may not read the applicant (or in an export, export=True)
    copies whose data no longer quote the identity. The events themselves are never changed (the log is
    append-only)."""
    events = list(events)
    if not is_protected(dossier) or (not export and applicant_visible(user, dossier)):
        return events
    values = _identity_values(dossier)
    label = str(MASK_LABEL)
    out = []
    for event in events:
        clone = copy.copy(event)
        clone.data_before = _redact_data(event.data_before, values, label)
        clone.data_after = _redact_data(event.data_after, values, label)
        if event.kind == "attachment_added" and isinstance(clone.data_after, dict) and clone.data_after.get("name"):
            # a scan's file name may be the denouncer's (the scans are locked as well: selectors.attachment_for)
            clone.data_after = {**clone.data_after, "name": label}
        out.append(clone)
    return out


def notice_for_viewer(user, notice):
    """An intake notice (form 02/03 handed over at the desk without a dossier code) as the official may read it: a
    denunciation's names the denouncer only to the desk official who issued it and to auditors; for everyone else a
    copy with the masked applicant and the form's text and HTML redacted. Never save the copy."""
    if notice.procedure.kind != CaseKind.DENUNCIATION or (
            _signed_in(user) and (notice.issued_by_id == user.pk or _is_auditor(user))):
        return notice
    clone = copy.copy(notice)
    clone.form_text = redact_text(notice.form_text, notice)
    clone.form_html = redact_text(notice.form_html, notice)
    clone.applicant = PersonalRecord(full_name=str(MASK_LABEL))
    return clone


def label_applicants(dossiers, user=None, *, export=False):
    """Sets `applicant_label` on each dossier of a list: the applicant's name, or the mask for a denunciation the
    official may not read (every denunciation in an export, or when user is None). One query for the list."""
    dossiers = list(dossiers)
    shown = set() if export else visible_ids(user, dossiers)
    for dossier in dossiers:
        if not is_protected(dossier) or dossier.pk in shown:
            dossier.applicant_label = dossier.applicant.full_name
        else:
            dossier.applicant_label = str(MASK_LABEL)
    return dossiers


def applicant_match_q(user, term, prefix=""):
    """Search by the applicant's name, phone or ID number among the rows whose applicant the official may read: a
    denunciation is never found by its denouncer's identity by someone who may not read it."""
    term = (term or "").strip()
    if not term:
        return Q()
    found = (Q(**{f"{prefix}applicant__full_name__icontains": term}) | Q(**{f"{prefix}applicant__phone": term})
             | Q(**{f"{prefix}applicant__id_number": term}))
    return found & visible_q(user, prefix)
