from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from engine.calendar import VN_TZ
from processes.models import AdministrativeUnit
from processes.services.calendar import calendar_for_unit


class Command(BaseCommand):
    help = "Prints the statutory due time for a reception time, using the calendar in the database."

    def add_arguments(self, parser):
        parser.add_argument("--received", required=True, help='"YYYY-MM-DD HH:MM", Asia/Ho_Chi_Minh')
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--working-days", help="N working days (fractions allowed; 0 = same day)")
        group.add_argument("--calendar-days", type=int, help="N calendar days")
        parser.add_argument("--unit", help="unit code (its office hours and overrides)")

    def handle(self, *args, **options):
        try:
            received = datetime.strptime(options["received"], "%Y-%m-%d %H:%M").replace(tzinfo=VN_TZ)
        except ValueError:
            raise CommandError('--received must be "YYYY-MM-DD HH:MM"') from None
        unit = None
        if options["unit"]:
            unit = AdministrativeUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"no unit with code {options['unit']}")
        calendar = calendar_for_unit(unit)
        try:
            if options["calendar_days"] is not None:
                due = calendar.add_calendar_days(received, options["calendar_days"])
            else:
                due = calendar.add_working_days(received, Decimal(options["working_days"]))
        except (InvalidOperation, ValueError) as exc:
            raise CommandError(str(exc) or "invalid number of days") from None
        self.stdout.write(f"counting starts {calendar.count_start(received).astimezone(VN_TZ):%Y-%m-%d %H:%M}")
        self.stdout.write(due.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M"))
