"""Background work for every app: the task worker, the periodic scheduler and its schedule."""

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jitsuin.jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A job whose interval is not positive (JITSUIN_SWEEP_INTERVAL=0) stops start-up here.
        from jitsuin.jobs import schedule  # noqa: F401
