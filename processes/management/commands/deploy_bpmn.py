import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from engine.bpmn import validate_bpmn
from processes.models import Procedure
from processes.services.errors import ServiceError
from processes.services.procedures import compile_for_deploy, deploy_process_version
from processes.services.routing import known_department_kinds

MAX_BYTES = 2 * 1024 * 1024


class Command(BaseCommand):
    help = ("Validates (--check) or deploys BPMN files. One line per file; each problem as FILE:LINE: ELEMENT_ID: "
            "message. Exit 0 when every file is valid, 2 otherwise.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--check", action="store_true", help="validate only, deploy nothing")
        parser.add_argument("--procedure", help="procedure code (default: the diagram's procedure_code)")

    def handle(self, *args, **options):
        failed = 0
        for name in options["files"]:
            try:
                ok = self._one(name, options)
            except Exception as exc:  # the promise is one clear line per file, never a traceback
                self.stdout.write(f"{name}:-: -: unexpected error: {type(exc).__name__}: {exc}")
                self.stdout.write(f"{name}: REFUSED")
                ok = False
            failed += not ok
        sys.stdout.flush()
        if failed:
            sys.exit(2)

    def _one(self, name, options):
        path = Path(name)
        if not path.is_file():
            self.stdout.write(f"{name}:-: -: no such file")
            self.stdout.write(f"{name}: REFUSED")
            return False
        if path.stat().st_size > MAX_BYTES:
            self.stdout.write(f"{name}:-: -: file larger than 2 MB")
            self.stdout.write(f"{name}: REFUSED")
            return False
        xml = path.read_bytes()
        if options["check"]:
            problems = validate_bpmn(xml, name, known_department_kinds=known_department_kinds() or None)
            if problems:
                for problem in problems:
                    self.stdout.write(problem.format(name))
                self.stdout.write(f"{name}: REFUSED ({len(problems)} problem{'s' if len(problems) > 1 else ''})")
                return False
            compiled = compile_for_deploy(xml, name)
            code = options["procedure"] or compiled.procedure_code
            procedure = Procedure.objects.filter(code=code).first() if code else None
            nxt = (procedure.versions.count() + 1) if procedure else 1
            self.stdout.write(f"{name}: OK process={compiled.process_id} version={nxt} (check only, not deployed)")
            return True
        try:
            version = deploy_process_version(xml=xml, filename=name, procedure_code=options["procedure"])
        except ServiceError as exc:
            if exc.problems:
                for problem in exc.problems:
                    self.stdout.write(problem["text"])
            else:
                self.stdout.write(f"{name}:-: {exc.element_id or '-'}: {exc.message}")
            self.stdout.write(f"{name}: REFUSED")
            return False
        self.stdout.write(
            f"{name}: OK process={version.process_id} procedure={version.procedure.code} version={version.number}"
        )
        return True
