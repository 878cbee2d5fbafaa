from django.apps import AppConfig


class UpkiConfig(AppConfig):
    name = "jitsuin.upki"
    label = "upki"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "National certificate service"
