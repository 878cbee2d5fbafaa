from datetime import timedelta

from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "jitsuin.lifecycle"
    label = "lifecycle"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jitsuin.config import current, parse_duration
        from jitsuin.health import register_check
        from jitsuin.lifecycle import housekeeping, notifications, periodic
        from jitsuin.lifecycle.health import pipeline_health

        extra = current().extra
        sweep_every = parse_duration(
            extra.get("JITSUIN_SWEEP_INTERVAL") or "30s", name="JITSUIN_SWEEP_INTERVAL"
        )
        housekeeping_every = parse_duration(
            extra.get("JITSUIN_HOUSEKEEPING_INTERVAL") or "5m", name="JITSUIN_HOUSEKEEPING_INTERVAL"
        )
        # The lifecycle e-mails' scans keep the names they had under notify.
        periodic.register(
            "notify.remind_expiring", timedelta(hours=1), notifications.remind_expiring
        )
        periodic.register(
            "notify.remind_pickups", timedelta(minutes=30), notifications.remind_pickups
        )
        periodic.register("notify.alert_stuck", timedelta(minutes=30), notifications.alert_stuck)
        periodic.register("lifecycle.sweep", sweep_every, housekeeping.sweep)
        periodic.register(
            "lifecycle.expire_pickups", housekeeping_every, housekeeping.expire_pickups
        )
        periodic.register(
            "lifecycle.revoke_superseded", housekeeping_every, housekeeping.revoke_superseded
        )
        register_check("pipeline", pipeline_health)
