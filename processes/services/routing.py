"""Lanes route work: a lane named ROLE@PLACE resolves, for one dossier, to a unit and a role (README: lanes)."""
from engine.lanes import LaneError, parse_lane

from ..models import AdministrativeUnit, UnitKind
from .errors import InvalidInput


def anchor_unit(anchor, receiving_unit):
    if anchor == "self":
        return receiving_unit
    if anchor == "parent":
        if receiving_unit.parent is None:
            raise InvalidInput(f"đơn vị {receiving_unit.code} không có đơn vị cấp trên", field="lane")
        return receiving_unit.parent
    if anchor == "province":
        chain = [receiving_unit, *receiving_unit.ancestors()]
        provinces = [u for u in chain if u.kind == UnitKind.PROVINCE]
        if not provinces:
            raise InvalidInput(f"đơn vị {receiving_unit.code} không thuộc tỉnh nào", field="lane")
        return provinces[-1]
    raise InvalidInput(f"mốc định tuyến không hợp lệ: {anchor}", field="lane")


def resolve_lane(lane, receiving_unit):
    """Returns (unit, role) for a lane of a dossier received at receiving_unit."""
    try:
        route = parse_lane(lane)
    except LaneError as exc:
        raise InvalidInput(str(exc), field="lane") from exc
    unit = anchor_unit(route.anchor, receiving_unit)
    if route.department_kind:
        department = (
            AdministrativeUnit.objects.filter(
                parent=unit, kind=UnitKind.DEPARTMENT, department_kind=route.department_kind, active=True
            )
            .order_by("id")
            .first()
        )
        if department is None:
            raise InvalidInput(
                f"đơn vị {unit.code} không có phòng ban loại '{route.department_kind}' cho làn '{lane}'", field="lane"
            )
        unit = department
    return unit, route.role


def known_department_kinds():
    return set(
        AdministrativeUnit.objects.filter(kind=UnitKind.DEPARTMENT)
        .exclude(department_kind="")
        .values_list("department_kind", flat=True)
    )
