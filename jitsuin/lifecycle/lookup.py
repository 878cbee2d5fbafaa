"""Finding the certificate or child CA an issuer gave a serial to: one exact match.

Every table stores a serial as ``Serial(...).db`` (lower-case hex without leading zeros).
"""

from __future__ import annotations

from jitsuin.authorities.models import Authority
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.names import Serial


def _issuer_id(issuer: Authority | int) -> int:
    return issuer if isinstance(issuer, int) else issuer.pk


def certificate_for(issuer: Authority | int, serial: int) -> Certificate | None:
    return Certificate.objects.filter(
        issuer_id=_issuer_id(issuer), serial=Serial(serial).db
    ).first()


def child_authority_for(issuer: Authority | int, serial: int) -> Authority | None:
    return Authority.objects.filter(parent_id=_issuer_id(issuer), serial=Serial(serial).db).first()
