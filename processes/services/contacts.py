"""The citizen's contacts about a dossier (Circular 01/2018 evaluation, indices 3 and 4): each time the citizen had to
contact an agency beyond handing the dossier in and collecting the result, recorded by an official of one of the
dossier's units. One transaction holding the dossier's row lock; writes its event."""
from django.db import transaction

from engine import clock

from ..models import AdministrativeUnit, CitizenContact, ContactKind, Dossier, DossierParticipant, Membership
from .errors import InvalidInput, NotAllowed, NotFound
from .events import SYSTEM, record_event

NOTE_MAX = 500
AGENCY_MAX = 300


def _clean_str(value, field, limit, what):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} phải là chuỗi", field=field)
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{what} dài quá {limit} ký tự", field=field)
    return value


def _acting_context(user, dossier):
    """(role, unit) of an official of one of the dossier's units (participants), the receiving unit first; None when
    they are not one (auditors only read)."""
    from ..selectors import active_substitutions

    units = list(DossierParticipant.objects.filter(dossier=dossier).values_list("unit_id", flat=True))
    held = list(Membership.objects.filter(user=user, unit_id__in=units).exclude(role="auditor")
                .values_list("unit_id", "role"))
    held += list(active_substitutions().filter(substitute=user, unit_id__in=units).values_list("unit_id", "role"))
    if not held:
        return None
    held.sort(key=lambda pair: (pair[0] != dossier.receiving_unit_id, pair[1] != "reception", pair))
    unit_id, role = held[0]
    return role, AdministrativeUnit.objects.get(pk=unit_id)


@transaction.atomic
def record_contact(*, dossier_code, kind, unit_code="", agency_name="", citizen_fault=False, note="", actor=SYSTEM):
    """Records one contact of the citizen about dossier `dossier_code`: `kind` (ContactKind), the agency contacted —
    one of ours by `unit_code`, or another one by `agency_name` (exactly one of the two) — whether it was needed
    because of the citizen (`citizen_fault`: index 3 does not count it), a note. Only officials of the dossier's units
    (the receiving unit and every unit it was routed to) record contacts."""
    if kind not in ContactKind.values:
        raise InvalidInput(f"hình thức liên hệ không hợp lệ: {kind!r}", field="kind")
    unit_code = _clean_str(unit_code, "unit", 32, "mã đơn vị")
    agency_name = _clean_str(agency_name, "agency_name", AGENCY_MAX, "tên cơ quan")
    note = _clean_str(note, "note", NOTE_MAX, "ghi chú")
    if not isinstance(citizen_fault, bool):
        raise InvalidInput("lỗi của người dân phải là đúng hoặc sai", field="citizen_fault")
    if bool(unit_code) == bool(agency_name):
        raise InvalidInput("chọn một cơ quan đã liên hệ: một đơn vị trong hệ thống hoặc tên cơ quan khác",
                           field="unit" if not agency_name else "agency_name")
    if not isinstance(dossier_code, str) or not dossier_code.strip() or len(dossier_code) > 48:
        raise NotFound("không có hồ sơ này", field="code")
    dossier = (Dossier.objects.select_for_update(of=("self",)).select_related("receiving_unit")
               .filter(code=dossier_code.strip()).first())
    if dossier is None:
        raise NotFound(f"không có hồ sơ {dossier_code}", field="code")
    unit = None
    if unit_code:
        unit = AdministrativeUnit.objects.filter(code=unit_code).first()
        if unit is None:
            raise InvalidInput(f"không có đơn vị mã {unit_code}", field="unit")
    if actor.user is not None:
        context = _acting_context(actor.user, dossier)
        if context is None:
            raise NotAllowed(f"chỉ cán bộ của các đơn vị giải quyết hồ sơ {dossier.code} mới ghi nhận được lần liên "
                             f"hệ của người dân")
        actor = actor.with_context(*context)
    now = clock.now()
    contact = CitizenContact.objects.create(dossier=dossier, at=now, kind=kind, unit=unit, agency_name=agency_name,
                                            citizen_fault=citizen_fault, note=note,
                                            recorded_by=actor.user if actor.user is not None else None)
    record_event("citizen_contact_recorded", actor=actor, dossier=dossier,
                 after={"contact": contact.pk, "kind": kind, "unit": unit.code if unit else None,
                        "agency_name": agency_name, "citizen_fault": citizen_fault, "note": note})
    return contact
