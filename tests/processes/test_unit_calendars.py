"""A unit's calendar: the all-units overrides, then its ancestors', then its own — the nearest wins."""
from datetime import date

from processes.services.calendar import calendar_for_unit, set_calendar_override


def test_a_districts_day_off_is_its_departments_and_communes_unless_they_say_otherwise(demo):
    thursday, friday = date(2026, 12, 3), date(2026, 12, 4)
    set_calendar_override(day=thursday, is_working_day=False, unit_code=demo["district"].code, reason="Lễ hội huyện")
    set_calendar_override(day=friday, is_working_day=False, reason="Nghỉ bù toàn quốc")
    set_calendar_override(day=friday, is_working_day=True, unit_code=demo["district"].code, reason="Làm bù")
    set_calendar_override(day=thursday, is_working_day=True, unit_code=demo["tambinh"].code, reason="Trực")

    assert not calendar_for_unit(demo["district"]).is_working_day(thursday)
    assert not calendar_for_unit(demo["urban"]).is_working_day(thursday)  # a department of the district
    assert not calendar_for_unit(demo["hiepduc"]).is_working_day(thursday)  # a commune of the district
    assert calendar_for_unit(demo["tambinh"]).is_working_day(thursday)  # its own row wins over the district's
    assert calendar_for_unit(demo["province"]).is_working_day(thursday)  # an ancestor is not affected
    # the district's working Friday wins over the all-units day off, for it and below it, not above
    assert calendar_for_unit(demo["justice"]).is_working_day(friday)
    assert not calendar_for_unit(demo["province"]).is_working_day(friday)
    assert not calendar_for_unit(None).is_working_day(friday)
