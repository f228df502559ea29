"""Moves the running dossiers of one process version to another (processes.services.migration).

    manage.py migrate_dossiers PROCEDURE FROM TO [--dossier CODE ...] [--dry-run]

One JSON line per dossier, then a summary line. Exit status 0 when every dossier was migrated (or, with --dry-run,
would be), 1 when any was refused or failed, 2 (CommandError) for an unknown procedure or version or bad arguments.
"""
import json

from django.core.management.base import BaseCommand, CommandError

from processes.services.errors import ServiceError
from processes.services.events import SYSTEM
from processes.services.migration import migrate_dossiers


class Command(BaseCommand):
    help = "Migrates running dossiers of a procedure from one deployed version to another (dry run available)."

    def add_arguments(self, parser):
        parser.add_argument("procedure", help="procedure code, e.g. nhan-cha-me-con")
        parser.add_argument("from_version", help="version number the dossiers are on")
        parser.add_argument("to_version", help="version number to move them to")
        parser.add_argument("--dossier", action="append", dest="dossiers", metavar="CODE",
                            help="only this dossier (repeatable); default: every open dossier of FROM")
        parser.add_argument("--dry-run", action="store_true", help="list what would happen, change nothing")

    def handle(self, *args, **options):
        try:
            report = migrate_dossiers(procedure_code=options["procedure"], from_version=options["from_version"],
                                      to_version=options["to_version"], actor=SYSTEM,
                                      dossier_codes=options["dossiers"], dry_run=options["dry_run"])
        except ServiceError as exc:
            where = f" ({exc.field})" if exc.field else ""
            raise CommandError(f"{exc.message}{where}", returncode=2) from None
        for entry in report["dossiers"]:
            line = {"dossier": entry["dossier"], "status": entry["status"]}
            for key in ("reason", "element_id", "work_items", "claims_kept", "claims_dropped", "due_at", "timers"):
                if entry.get(key) not in (None, [], {}):
                    line[key] = entry[key]
            plan = entry.get("plan")
            if plan:
                line["reset"] = [s["bpmn_id"] for s in plan["reset"]]
                line["ready_after"] = [s["bpmn_id"] for s in plan["ready_after"]]
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        summary = {"procedure": report["procedure"], "from_version": report["from_version"],
                   "to_version": report["to_version"], "dry_run": report["dry_run"], **report["summary"]}
        self.stdout.write(json.dumps({"summary": summary}, ensure_ascii=False))
        if report["summary"]["refused"] or report["summary"]["failed"]:
            raise SystemExit(1)
