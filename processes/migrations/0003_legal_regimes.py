"""The two legal regimes the platform knows, keyed by effective date. Reference data every database needs."""
from django.db import migrations

from processes.reference import REGIMES


def forward(apps, schema_editor):
    LegalRegime = apps.get_model("processes", "LegalRegime")
    for row in REGIMES:
        LegalRegime.objects.update_or_create(code=row["code"], defaults=row)


def backward(apps, schema_editor):
    apps.get_model("processes", "LegalRegime").objects.filter(code__in=[r["code"] for r in REGIMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("processes", "0002_event_append_only")]
    operations = [migrations.RunPython(forward, backward)]
