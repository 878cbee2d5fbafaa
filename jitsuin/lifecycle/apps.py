from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "jitsuin.lifecycle"
    label = "lifecycle"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jitsuin.health import register_check
        from jitsuin.lifecycle.health import pipeline_health

        register_check("pipeline", pipeline_health)
