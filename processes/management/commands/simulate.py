import json
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from processes.simulation import (
    LATE_SHARE,
    MAX_LATE_SHARE,
    default_units,
    merge_summaries,
    parse_day,
    resolve_units,
    simulate,
    split_units,
)


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
        parser.add_argument("--workers", type=int, default=1,
                            help="processes to split the units between, each with its own clock and its own dossiers "
                                 "(default 1: one process, deterministic for a seed)")
        parser.add_argument("--late-share", type=float, default=LATE_SHARE,
                            help=f"share of dossiers drawn late, 0 to {MAX_LATE_SHARE} (default {LATE_SHARE}: the "
                                 f"demo's; 0.008 gives about the 0.7 %% of Cai Lậy's 2019 report)")
        parser.add_argument("--own-timers-only", action="store_true",
                            help="fire only the timers of dossiers received by --units (set by --workers)")

    def handle(self, *args, **options):
        try:
            first_day, last_day = parse_day(options["first_day"]), parse_day(options["last_day"])
        except ValueError:
            raise CommandError("--from and --to are dates written dd/mm/yyyy") from None
        if options["dossiers"] < 0:
            raise CommandError("--dossiers must not be negative")
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if not 0 <= options["late_share"] <= MAX_LATE_SHARE:
            raise CommandError(f"--late-share must be between 0 and {MAX_LATE_SHARE}")
        codes = [c.strip() for c in options["units"].split(",") if c.strip()] or None
        try:
            if options["workers"] > 1:
                summary = self._in_parallel(options, codes)
            else:
                summary = simulate(dossiers=options["dossiers"], first_day=first_day, last_day=last_day,
                                   unit_codes=codes, seed=options["seed"], own_timers_only=options["own_timers_only"],
                                   late_share=options["late_share"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))

    def _in_parallel(self, options, codes):
        """One `simulate --own-timers-only` process per group of units; their summaries merged."""
        units = resolve_units(codes) if codes else default_units()
        if not units:
            raise ValueError("no unit to simulate: none has a reception official and a deployed procedure")
        started = time.monotonic()
        children = []
        for index, (members, share) in enumerate(split_units(units, options["workers"], options["dossiers"])):
            command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "simulate", "--own-timers-only",
                       "--dossiers", str(share), "--from", options["first_day"], "--to", options["last_day"],
                       "--units", ",".join(u.code for u in members), "--seed", str(options["seed"] * 1000 + index),
                       "--late-share", repr(options["late_share"])]
            children.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True))
        summaries, failed = [], []
        for child in children:
            out, _ = child.communicate()
            if child.returncode:
                failed.append(child.returncode)
            else:
                summaries.append(json.loads(out))
        if failed:
            raise CommandError(f"{len(failed)} of {len(children)} simulation processes failed (exit {failed})")
        return merge_summaries(summaries, time.monotonic() - started)
