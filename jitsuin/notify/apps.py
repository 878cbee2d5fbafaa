"""E-mail notifications: an outbox, templates in Japanese and English, exactly-once sending."""

from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "jitsuin.notify"
    label = "notify"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Notifications"
