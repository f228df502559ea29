from datetime import date

from django.core.management.base import BaseCommand, CommandError

from processes.services.calendar import clear_calendar_override, set_calendar_override
from processes.services.errors import ServiceError


class Command(BaseCommand):
    help = "Declares a day off or a working day (for every unit, or one unit), or clears that declaration."

    def add_arguments(self, parser):
        parser.add_argument("day", help="YYYY-MM-DD")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--off", action="store_true", help="an extra day off")
        group.add_argument("--work", action="store_true", help="an extra working day (e.g. a make-up Saturday)")
        group.add_argument("--clear", action="store_true", help="remove the override")
        parser.add_argument("--unit", help="unit code; every unit when omitted")
        parser.add_argument("--reason", default="", help="e.g. the notice that decided it")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["day"])
        except ValueError:
            raise CommandError("day must be YYYY-MM-DD") from None
        where = f"unit {options['unit']}" if options["unit"] else "every unit"
        try:
            if options["clear"]:
                clear_calendar_override(day=day, unit_code=options["unit"])
                self.stdout.write(f"{day:%d/%m/%Y}: override cleared for {where}")
            else:
                set_calendar_override(day=day, is_working_day=options["work"], unit_code=options["unit"],
                                      reason=options["reason"][:300])
                kind = "working day" if options["work"] else "day off"
                self.stdout.write(f"{day:%d/%m/%Y}: {kind} for {where}")
        except ServiceError as exc:
            raise CommandError(exc.message) from None
