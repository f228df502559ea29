import json

from django.core.management.base import BaseCommand, CommandError

from processes.simulation import parse_day, simulate


class Command(BaseCommand):
    help = ("Simulates N dossiers received over a period, processed through the real services by the units' officials "
            "with the injectable clock walking forward (demos, benchmarks): some late and explained, some "
            "supplemented, refused or withdrawn. Every simulated dossier and its events are marked simulated. "
            "Prints a JSON summary.")

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, required=True, help="how many dossiers to receive")
        parser.add_argument("--from", dest="first_day", required=True, help="first day, dd/mm/yyyy")
        parser.add_argument("--to", dest="last_day", required=True, help="last day, dd/mm/yyyy (at most today)")
        parser.add_argument("--units", default="", help="receiving units' codes, comma-separated (default: every "
                                                        "unit with a desk and a deployed procedure of its level)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same database: same run)")

    def handle(self, *args, **options):
        try:
            first_day, last_day = parse_day(options["first_day"]), parse_day(options["last_day"])
        except ValueError:
            raise CommandError("dates are dd/mm/yyyy") from None
        if options["dossiers"] < 0:
            raise CommandError("--dossiers must not be negative")
        codes = [c.strip() for c in options["units"].split(",") if c.strip()] or None
        try:
            summary = simulate(dossiers=options["dossiers"], first_day=first_day, last_day=last_day,
                               unit_codes=codes, seed=options["seed"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
