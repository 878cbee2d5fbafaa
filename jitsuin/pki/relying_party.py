"""Revocation checked the way a relying party does it: fetch the CRLs and ask OCSP.

Used by ``jitsuin check --online``: it follows the URLs inside the certificates, so it also
proves that what jitsuin publishes at those URLs is right.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

# (url, body or None for GET, content type) -> response body
Fetch = Callable[[str, bytes | None, str], bytes]
TIMEOUT = 10
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    source: str  # "crl" or "ocsp"
    url: str
    ok: bool  # fetched, signed by the right CA, current
    revoked: bool = False
    revoked_at: datetime | None = None
    reason: str = ""
    about_issuer: bool = False  # the revoked certificate is a CA above the one checked
    error: str = ""


def http_fetch(url: str, body: bytes | None, content_type: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")  # noqa: S310
    if body is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        return bytes(response.read(MAX_BYTES))


def _verify(public_key: object, signature: bytes, data: bytes, algorithm: object) -> None:
    if not isinstance(algorithm, hashes.HashAlgorithm):
        raise InvalidSignature("no hash algorithm")
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        raise InvalidSignature("unsupported key type")


def _crl_urls(certificate: x509.Certificate) -> list[str]:
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [
        name.value
        for point in points
        for name in point.full_name or []
        if isinstance(name, x509.UniformResourceIdentifier)
    ]


def _ocsp_urls(certificate: x509.Certificate) -> list[str]:
    try:
        access = certificate.extensions.get_extension_for_class(
            x509.AuthorityInformationAccess
        ).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in access
        if d.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def _reason_name(reason: x509.ReasonFlags | None) -> str:
    return reason.value if reason is not None else ""


def check_crl(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    url: str,
    *,
    now: datetime,
    fetch: Fetch,
    about_issuer: bool,
) -> Finding:
    try:
        data = fetch(url, None, "")
        crl = (
            x509.load_pem_x509_crl(data)
            if data.lstrip().startswith(b"-----")
            else x509.load_der_x509_crl(data)
        )
    except Exception as exc:  # network or parse errors are findings, not crashes
        return Finding("crl", url, ok=False, about_issuer=about_issuer, error=str(exc))
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        return Finding(
            "crl", url, ok=False, about_issuer=about_issuer, error="not signed by the issuer"
        )
    if crl.next_update_utc is not None and crl.next_update_utc < now:
        return Finding(
            "crl", url, ok=False, about_issuer=about_issuer, error="the CRL is out of date"
        )
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    if entry is None:
        return Finding("crl", url, ok=True, about_issuer=about_issuer)
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        reason = None
    return Finding(
        "crl",
        url,
        ok=True,
        revoked=True,
        revoked_at=entry.revocation_date_utc,
        reason=_reason_name(reason),
        about_issuer=about_issuer,
    )


def _responder_key(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> object:
    """The issuer's key, or a delegated responder certificate's key that the issuer signed."""
    for candidate in response.certificates:
        try:
            candidate.verify_directly_issued_by(issuer)
            eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in eku:
            return candidate.public_key()
    return issuer.public_key()


def check_ocsp(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    url: str,
    *,
    now: datetime,
    fetch: Fetch,
) -> Finding:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer, hashes.SHA1())  # noqa: S303 (RFC 5019)
        .build()
    )
    try:
        data = fetch(url, request.public_bytes(Encoding.DER), "application/ocsp-request")
        response = ocsp.load_der_ocsp_response(data)
    except Exception as exc:
        return Finding("ocsp", url, ok=False, error=str(exc))
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return Finding("ocsp", url, ok=False, error=response.response_status.name)
    try:
        _verify(
            _responder_key(response, issuer),
            response.signature,
            response.tbs_response_bytes,
            response.signature_hash_algorithm,
        )
    except InvalidSignature:
        return Finding("ocsp", url, ok=False, error="the response's signature does not verify")
    if response.serial_number != certificate.serial_number:
        return Finding("ocsp", url, ok=False, error="the response is about another certificate")
    if response.next_update_utc is not None and response.next_update_utc < now:
        return Finding("ocsp", url, ok=False, error="the response is out of date")
    if response.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        return Finding(
            "ocsp",
            url,
            ok=True,
            revoked=True,
            revoked_at=response.revocation_time_utc,
            reason=_reason_name(response.revocation_reason),
        )
    if response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN:
        return Finding("ocsp", url, ok=False, error="the responder does not know this certificate")
    return Finding("ocsp", url, ok=True)


def check_online(
    leaf: x509.Certificate,
    issuers: list[x509.Certificate],
    *,
    now: datetime,
    fetch: Fetch | None = None,
) -> list[Finding]:
    """CRLs of every certificate on the path, and OCSP for the leaf."""
    fetch = fetch or http_fetch
    chain = [leaf, *issuers]
    findings: list[Finding] = []
    for position, certificate in enumerate(chain[:-1]):
        issuer = chain[position + 1]
        for url in _crl_urls(certificate):
            findings.append(
                check_crl(certificate, issuer, url, now=now, fetch=fetch, about_issuer=position > 0)
            )
        if position == 0:
            for url in _ocsp_urls(certificate):
                findings.append(check_ocsp(certificate, issuer, url, now=now, fetch=fetch))
    return findings
