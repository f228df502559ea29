from django.core.management.base import BaseCommand

from processes.services.incidents import detect_stuck_dossiers
from processes.services.timers import sweep_inline


class Command(BaseCommand):
    help = ("Fires every due timer in this process and opens incidents for stuck dossiers — the same work as the "
            "Celery sweeper, for cron or for an operator when the workers are down. Safe to run beside the workers.")

    def handle(self, *args, **options):
        fired = sweep_inline(owner="manage.py sweep_timers")
        stuck = detect_stuck_dossiers()
        self.stdout.write(f"fired {fired} timer(s); {len(stuck)} new stuck-dossier incident(s)")
