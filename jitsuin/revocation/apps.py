"""What relying services fetch: CA certificates, CRLs and OCSP responses."""

from django.apps import AppConfig


class RevocationConfig(AppConfig):
    name = "jitsuin.revocation"
    label = "revocation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jitsuin.authorities.signals import authority_revoked
        from jitsuin.health import register_check
        from jitsuin.lifecycle.signals import certificate_issued, certificate_revoked
        from jitsuin.notify import hooks as notify_hooks
        from jitsuin.revocation import health, publishing, receivers

        certificate_issued.connect(
            receivers.on_certificate_issued, dispatch_uid="revocation-issued"
        )
        certificate_revoked.connect(
            receivers.on_certificate_revoked, dispatch_uid="revocation-revoked"
        )
        authority_revoked.connect(
            receivers.on_authority_revoked, dispatch_uid="revocation-authority-revoked"
        )
        register_check("revocation", health.health_check)
        notify_hooks.provide_crl_visibility(publishing.crl_visibility)
