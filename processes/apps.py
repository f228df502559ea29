from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = "Thủ tục hành chính và hồ sơ"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .clock import install_shared_clock
        from . import signals  # noqa: F401  (sign-ins into the event log)
        from .services import dossiers, statutory  # noqa: F401  (they register the timer handlers)

        install_shared_clock()
