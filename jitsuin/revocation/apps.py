"""What relying services fetch: CA certificates, CRLs and OCSP responses (the HTTP edge).

What is published is signed and kept by ``jitsuin.authorities.publishing``.
"""

from django.apps import AppConfig


class RevocationConfig(AppConfig):
    name = "jitsuin.revocation"
    label = "revocation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jitsuin.authorities.publishing import changes, crl, health, periodic
        from jitsuin.authorities.signals import authority_revoked
        from jitsuin.health import register_check
        from jitsuin.lifecycle import periodic as lifecycle_periodic
        from jitsuin.lifecycle.signals import certificate_issued, certificate_revoked
        from jitsuin.notify import hooks as notify_hooks

        certificate_issued.connect(changes.on_certificate_issued, dispatch_uid="revocation-issued")
        certificate_revoked.connect(
            changes.on_certificate_revoked, dispatch_uid="revocation-revoked"
        )
        authority_revoked.connect(
            changes.on_authority_revoked, dispatch_uid="revocation-authority-revoked"
        )
        lifecycle_periodic.register("revocation.refresh", periodic.EVERY, periodic.refresh)
        register_check("revocation", health.health_check)
        notify_hooks.provide_crl_visibility(crl.crl_visibility)
