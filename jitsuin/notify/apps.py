"""E-mail notifications: an outbox, templates in Japanese and English, exactly-once sending."""

from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "jitsuin.notify"
    label = "notify"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from jitsuin.lifecycle import signals
        from jitsuin.notify import events

        signals.request_changed.connect(events.on_request_changed, dispatch_uid="notify.received")
        signals.certificate_revoked.connect(
            events.on_certificate_revoked, dispatch_uid="notify.revoked"
        )
        signals.certificate_issued.connect(
            events.on_certificate_issued, dispatch_uid="notify.ready"
        )
