"""POST /api/v1/check: is this certificate still good?"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest
from django.utils import translation
from ninja import Router

from jitsuin.api.schemas import CheckIn, ErrorOut, VerdictOut
from jitsuin.lifecycle.verdict import check_certificate
from jitsuin.pki.errors import NotACertificate

router = Router(tags=["check"])


def _bytes(text: str) -> bytes:
    if "-----BEGIN" in text:
        return text.encode()
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotACertificate("neither PEM nor base64") from exc


@router.post(
    "/check",
    response={200: VerdictOut, 422: ErrorOut},
    summary="Check a certificate (PEM, DER or PKCS#12)",
)
def check(request: HttpRequest, body: CheckIn) -> VerdictOut:
    """valid / switch_now (valid until its CA's scheduled revocation) / revoked / expired /
    not_yet_valid / issuer_revoked / unknown_issuer, with what to do next, in ``lang``
    (default: the request's language)."""
    lang = body.lang or (translation.get_language() or "ja")[:2]
    translation.activate(lang)  # errors (errors.py) answer in ``lang`` too, for this request
    verdict = check_certificate(_bytes(body.certificate), pin=body.pin, lang=lang)
    return VerdictOut.model_validate(verdict, from_attributes=True)
