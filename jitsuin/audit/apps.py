from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jitsuin.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jitsuin.audit import periodic
        from jitsuin.lifecycle import periodic as lifecycle_periodic

        lifecycle_periodic.register("audit.checkpoint", periodic.EVERY, periodic.tick)
