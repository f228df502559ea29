from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = "Thủ tục hành chính và hồ sơ"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .clock import install_shared_clock

        install_shared_clock()
