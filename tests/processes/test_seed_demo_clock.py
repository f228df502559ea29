"""`make run`'s demo shows the clock: a dossier due soon, one explained, one late without explanation, an incident."""
from io import StringIO

from django.core.management import call_command

from processes.models import Dossier, Explanation, Incident, WorkItem


def test_seed_demo_shows_the_statutory_clock(transactional_db):
    call_command("seed_demo", stdout=StringIO())
    assert WorkItem.objects.filter(kind="explain_delay", status="open").exists()
    assert Explanation.objects.count() == 1
    late = Dossier.objects.filter(flags__contains=["late_without_explanation"],
                                  procedure__kind="administrative")
    assert late.count() == 1
    assert WorkItem.objects.filter(dossier=late.get(), kind="escalation", status="open").exists()
    assert Incident.objects.filter(kind="stuck", resolved_at__isnull=True).count() == 1
