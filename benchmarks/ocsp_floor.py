"""The least a WSGI OCSP responder built on ``cryptography``'s builder can do per request.

No Django, no database, no status lookup: parse the request, read its nonce, sign a "good"
answer with the builder (responder ID by key hash, the responder's and the issuing CA's
certificates, the nonce) and return it. ``ocsp_side_by_side`` serves it under granian beside
jitsuin and ``openssl ocsp``: what granian + the builder alone reach is the ceiling of any
responder that keeps the builder. Reads OCSP_FLOOR_DIR/{rkey,rsigner,ca}.pem.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

_DIR = Path(os.environ.get("OCSP_FLOOR_DIR", "."))
_KEY = serialization.load_pem_private_key((_DIR / "rkey.pem").read_bytes(), None)
_RESPONDER = x509.load_pem_x509_certificate((_DIR / "rsigner.pem").read_bytes())
_CA = x509.load_pem_x509_certificate((_DIR / "ca.pem").read_bytes())
# What the options would buy: OCSP_FLOOR_RESPONDER_ID=name (byName instead of by key hash),
# OCSP_FLOOR_CERTS=responder|none (without the CA's certificate, or without any).
_ENCODING = (
    ocsp.OCSPResponderEncoding.NAME
    if os.environ.get("OCSP_FLOOR_RESPONDER_ID") == "name"
    else ocsp.OCSPResponderEncoding.HASH
)
_CERTS = {"none": [], "responder": [_RESPONDER]}.get(
    os.environ.get("OCSP_FLOOR_CERTS", ""), [_RESPONDER, _CA]
)
_BASE = ocsp.OCSPResponseBuilder().responder_id(_ENCODING, _RESPONDER)
if _CERTS:
    _BASE = _BASE.certificates(_CERTS)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()
    request = ocsp.load_der_ocsp_request(body)
    now = datetime.now(UTC)
    builder = _BASE.add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=ocsp.OCSPCertStatus.GOOD,
        this_update=now,
        next_update=now + timedelta(days=1),
        revocation_time=None,
        revocation_reason=None,
    )
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    der = builder.sign(_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]
    start_response(
        "200 OK",
        [("Content-Type", "application/ocsp-response"), ("Content-Length", str(len(der)))],
    )
    return [der]


_SIGNED = _BASE.add_response_by_hash(
    issuer_name_hash=b"\0" * 20,
    issuer_key_hash=b"\0" * 20,
    serial_number=1,
    algorithm=hashes.SHA1(),  # noqa: S303
    cert_status=ocsp.OCSPCertStatus.GOOD,
    this_update=datetime.now(UTC),
    next_update=datetime.now(UTC) + timedelta(days=1),
    revocation_time=None,
    revocation_reason=None,
).sign(_KEY, hashes.SHA256())  # type: ignore[arg-type]
_FIXED = _SIGNED.public_bytes(serialization.Encoding.DER)
_TBS = _SIGNED.tbs_response_bytes


def signature_only(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The request parsed and one ECDSA signature over a response-sized input, a fixed body
    returned: what a responder that encodes no ASN.1 through a library would cost at best
    (not a valid answer to the request; a measurement only)."""
    ocsp.load_der_ocsp_request(environ["wsgi.input"].read())
    _KEY.sign(_TBS, ec.ECDSA(hashes.SHA256()))  # type: ignore[union-attr,call-arg]
    start_response(
        "200 OK",
        [("Content-Type", "application/ocsp-response"), ("Content-Length", str(len(_FIXED)))],
    )
    return [_FIXED]


def fixed_answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The request read, nothing parsed or signed, a fixed body returned: what granian and a
    WSGI call alone cost per answer (the floor under any Python responder it serves)."""
    environ["wsgi.input"].read()
    start_response(
        "200 OK",
        [("Content-Type", "application/ocsp-response"), ("Content-Length", str(len(_FIXED)))],
    )
    return [_FIXED]
