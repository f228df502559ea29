"""The reference tables' planner statistics (processes/maintenance.py): after the task, PostgreSQL's own row estimate
of each seeded table is its true size — which autovacuum would not give tables this small."""
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from motcua.celery import app
from processes import tasks
from processes.maintenance import reference_tables
from processes.models import AdministrativeUnit, Field, Membership, Procedure


def estimated_rows(model):
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT * FROM {table}")
        plan = cursor.fetchone()[0]
    return (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]["Plan Rows"]


def test_the_task_gives_the_planner_each_reference_table_s_true_size(demo):
    # a size the planner cannot have guessed: 37 more fields than the demo seeded, in this transaction
    Field.objects.bulk_create([Field(code=f"bench-{n}", name=f"Lĩnh vực {n}") for n in range(37)])
    assert tasks.analyze_reference_tables.apply().get() == len(reference_tables())
    for model in (AdministrativeUnit, Membership, Procedure, Field, get_user_model()):
        assert estimated_rows(model) == model.objects.count(), model


def test_beat_runs_it_every_six_hours():
    entry = settings.CELERY_BEAT_SCHEDULE["analyze-reference-tables"]
    assert entry == {"task": "processes.tasks.analyze_reference_tables", "schedule": 21600.0}
    assert entry["task"] in app.tasks
