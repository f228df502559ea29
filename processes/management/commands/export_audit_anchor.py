"""export_audit_anchor: takes a checkpoint of the event log now and prints (or writes to --output) the latest
anchor as JSON, to be kept somewhere the database's administrators cannot reach. verify_audit --against reads it."""
import json

from django.core.management.base import BaseCommand, CommandError

from processes.services.audit import checkpoint, latest_anchor_export


class Command(BaseCommand):
    help = "Checkpoints the event log and exports the latest anchor (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE", help="write the anchor to this file instead of stdout")

    def handle(self, *args, output=None, **options):
        checkpoint()
        exported = latest_anchor_export()
        if exported is None:
            raise CommandError("the event log is empty: nothing to anchor")
        text = json.dumps(exported, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        self.stdout.write(text)
