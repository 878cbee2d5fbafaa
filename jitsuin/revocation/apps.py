"""What relying services fetch: CA certificates, CRLs and OCSP responses (the HTTP edge).

What is published is signed and kept by ``jitsuin.authorities.publishing``.
"""

from django.apps import AppConfig


class RevocationConfig(AppConfig):
    name = "jitsuin.revocation"
    label = "revocation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jitsuin.authorities.publishing import health
        from jitsuin.health import register_check

        register_check("revocation", health.health_check)
