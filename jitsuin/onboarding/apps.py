"""Wi-Fi (EAP-TLS) onboarding profiles built from a person's one-time pickup."""

from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "jitsuin.onboarding"
    label = "onboarding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jitsuin.health import register_check
        from jitsuin.onboarding.health import onboarding_health

        register_check("onboarding", onboarding_health)
