"""Background work for every app: the task worker, the periodic scheduler and its schedule."""

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jitsuin.jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The schedule reads its intervals from the settings: a bad one stops start-up here.
        from jitsuin.jobs import schedule  # noqa: F401
