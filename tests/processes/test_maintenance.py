"""The reference tables' planner statistics (processes/maintenance.py): after the task, PostgreSQL's own row estimate
of each seeded table is its true size — which autovacuum would not give tables this small — and the application's
restricted role, which owns no table, gets it too."""
import json

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from motcua.celery import app
from processes import tasks
from processes.maintenance import reference_tables
from processes.models import AdministrativeUnit, Field, Membership, Procedure


def estimated_rows(model, cursor=None):
    sql = f"EXPLAIN (FORMAT JSON) SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}"
    if cursor is None:
        with connection.cursor() as own:
            own.execute(sql)
            plan = own.fetchone()[0]
    else:
        plan = cursor.execute(sql).fetchone()[0]
    return (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]["Plan Rows"]


def test_the_task_gives_the_planner_each_reference_table_s_true_size(demo):
    # a size the planner cannot have guessed: 37 more fields than the demo seeded, in this transaction
    Field.objects.bulk_create([Field(code=f"bench-{n}", name=f"Lĩnh vực {n}") for n in range(37)])
    assert tasks.analyze_reference_tables.apply().get() == len(reference_tables())
    for model in (AdministrativeUnit, Membership, Procedure, Field, get_user_model()):
        assert estimated_rows(model) == model.objects.count(), model


@pytest.mark.django_db(transaction=True)
def test_the_application_role_analyzes_them_through_the_owners_function(tdemo):
    import importlib

    migration = importlib.import_module("processes.migrations.0013_analyze_reference_tables")
    assert list(migration.TABLES) == reference_tables()  # the function's list is the module's
    call_command("grant_app_role", "motcua_test_app")
    params = {k: v for k, v in connection.get_connection_params().items() if k in ("host", "port", "dbname")}
    with psycopg.connect(**params, user="motcua_test_app", autocommit=True) as as_app:
        # 23 rows: under autovacuum's own threshold (50 changes), so that it does not analyze them meanwhile
        as_app.execute("INSERT INTO processes_field (code, name, name_en) "
                       "SELECT 'app-' || n, 'Lĩnh vực ' || n, '' FROM generate_series(1, 23) AS n")
        as_app.execute("ANALYZE processes_field")  # not the owner: PostgreSQL skips it with a warning
        true_size = Field.objects.count()
        assert estimated_rows(Field, as_app) != true_size
        [(tables,)] = as_app.execute("SELECT motcua_analyze_reference_tables()").fetchall()
        assert tables == reference_tables()
        assert estimated_rows(Field, as_app) == true_size


def test_beat_runs_it_every_six_hours():
    entry = settings.CELERY_BEAT_SCHEDULE["analyze-reference-tables"]
    assert entry == {"task": "processes.tasks.analyze_reference_tables", "schedule": 21600.0}
    assert entry["task"] in app.tasks
