"""Helpdesk and operator pages."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _roles_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    from jitsuin.console.roles import ensure_roles

    ensure_roles()


class ConsoleConfig(AppConfig):
    name = "jitsuin.console"
    label = "console"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Console"

    def ready(self) -> None:
        post_migrate.connect(_roles_after_migrate, sender=self, dispatch_uid="console.roles")
