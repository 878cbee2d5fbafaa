"""CA switchover campaigns: plan, migrate, remind, track, revoke the old intermediate."""

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "jitsuin.campaigns"
    label = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jitsuin.campaigns.periodic import health
        from jitsuin.campaigns.queries import retirement_deadlines
        from jitsuin.health import register_check
        from jitsuin.lifecycle.overlap import register_deadline_source

        register_check("campaigns", health)
        # Under overlap, a superseded certificate of a retiring CA goes at the deadline.
        register_deadline_source(retirement_deadlines)
