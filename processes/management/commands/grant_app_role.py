"""grant_app_role ROLE: the database role the application connects as, separate from the owner that runs the
migrations. It may read and write the application's tables, but on the event log and its checkpoints only SELECT and
INSERT: no UPDATE, DELETE or TRUNCATE, and — not owning them — it cannot disable their triggers either. Run it as the
owner after every `migrate` (new tables need their grants). Idempotent."""
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

APPEND_ONLY_TABLES = ("processes_event", "processes_auditanchor")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Command(BaseCommand):
    help = "Creates (if needed) and grants the application's database role; the event log stays append-only for it."

    def add_arguments(self, parser):
        parser.add_argument("role", help="e.g. motcua_app")
        parser.add_argument("--password", default=None, help="set this password (production; omit for trust auth)")

    def handle(self, *args, role, password=None, **options):
        if not ROLE_NAME.match(role):
            raise CommandError("the role name must be lower-case letters, digits and '_'")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            if cursor.fetchone()[0] == role:
                raise CommandError("run this as the owner of the tables, not as the application's role")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE ROLE "{role}" LOGIN')
            if password is not None:
                cursor.execute(f'ALTER ROLE "{role}" PASSWORD %s', [password])
            cursor.execute("SELECT current_database()")
            database = cursor.fetchone()[0]
            statements = [
                f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
                f'GRANT USAGE ON SCHEMA public TO "{role}"',
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
                f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
                f'REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM "{role}"',
            ]
            statements += [f'REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM "{role}"' for table in APPEND_ONLY_TABLES]
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"{role}: read/write on the application's tables; {', '.join(APPEND_ONLY_TABLES)} "
                          f"SELECT and INSERT only")
