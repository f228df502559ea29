"""verify_audit: walks every hash chain of the event log and names each row changed, removed or inserted out of
order; with --against FILE also checks the log against a checkpoint exported earlier (export_audit_anchor), which
catches a rewrite that recomputed every hash. Exit code 0 when intact, 1 otherwise. One JSON line per problem,
then a summary line."""
import json

from django.core.management.base import BaseCommand, CommandError

from processes.services.audit import verify_against, verify_chains


class Command(BaseCommand):
    help = "Checks the event log's hash chains, and against an exported checkpoint (exit code 1 on any problem)."

    def add_arguments(self, parser):
        parser.add_argument("--stream", help="only this stream, e.g. dossier:42 or sign-in")
        parser.add_argument("--against", metavar="FILE", help="a checkpoint exported earlier by export_audit_anchor")

    def handle(self, *args, stream=None, against=None, **options):
        exported = None
        if against:
            try:
                with open(against, encoding="utf-8") as handle:
                    exported = json.load(handle)
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read the exported checkpoint {against}: {exc}") from None
        problems = verify_chains(stream)
        if exported is not None:
            problems += verify_against(exported)
        for problem in problems:
            self.stdout.write(json.dumps(problem.as_dict(), ensure_ascii=False))
        self.stdout.write(json.dumps({"intact": not problems, "problems": len(problems)}))
        if problems:
            raise SystemExit(1)
