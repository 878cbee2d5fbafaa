"""Pre-signed OCSP responses as static files, for a web server or CDN (``jitsuin crl``)."""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp as x509_ocsp
from django.utils import timezone

from jitsuin.authorities.models import Authority, OcspResponse
from jitsuin.authorities.services import certificate_of
from jitsuin.pki.names import Serial
from jitsuin.pki.ocsp import CertId, cert_id_for


def static_path_for(cert_id: CertId) -> str:
    """The RFC 5019 GET path (after /ocsp/) of the no-nonce request for ``cert_id``."""
    request = (
        x509_ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            cert_id.issuer_name_hash, cert_id.issuer_key_hash, cert_id.serial, cert_id.algorithm
        )
        .build()
    )
    return base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()


def export_static(directory: Path, *, now: datetime | None = None) -> int:
    """Write every current pre-signed response as ``directory/<base64 request>``.

    A web server or CDN serving ``directory`` at ``/ocsp/`` answers RFC 5019 GETs without
    jitsuin (a ``/`` in the base64 text becomes a subdirectory, as the decoded URL path does).
    Set ``default_type application/ocsp-response``. Re-run after each refresh.
    """
    now = now or timezone.now()
    written = 0
    for authority in Authority.objects.all():
        issuer = certificate_of(authority)
        rows = OcspResponse.objects.filter(issuer=authority, next_update__gt=now).values_list(
            "serial", "der"
        )
        for serial, der in rows.iterator(chunk_size=2000):
            target = directory / static_path_for(cert_id_for(Serial.parse(serial).value, issuer))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bytes(der))
            written += 1
    return written
