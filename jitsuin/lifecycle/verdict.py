""" "Is my certificate still good?": one verdict for a PEM, DER or PKCS#12 file.

The path is validated with cryptography's X.509 verifier against jitsuin's roots; revocation
comes from jitsuin's own records (the database behind its CRLs and OCSP), or, with
``online=True``, from the CRL and OCSP URLs in the certificate, fetched as a relying party would.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509 import verification
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jitsuin.authorities.models import Authority, Role
from jitsuin.authorities.services import certificate_of
from jitsuin.config import current as current_config
from jitsuin.lifecycle.issuers import issuer_revocation, when_text
from jitsuin.lifecycle.lookup import certificate_for, child_authority_for
from jitsuin.lifecycle.models import CertificateStatus
from jitsuin.lifecycle.reasons import reason_label
from jitsuin.pki import relying_party
from jitsuin.pki.errors import NotACertificate, WrongPin
from jitsuin.pki.loading import fingerprint_sha256, load_certificates
from jitsuin.pki.names import Serial
from jitsuin.pki.pkcs12 import open_pkcs12_certificates_isolated

EXPIRING_SOON = timedelta(days=30)
PKCS12_OPEN_TIMEOUT = 10.0  # seconds; the cost cap keeps honest files far below it


class Status(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUER_REVOKED = "issuer_revoked"
    # Works now, but a revocation of its CA is scheduled (a campaign's deadline): switch now.
    SWITCH_NOW = "switch_now"
    UNKNOWN_ISSUER = "unknown_issuer"


@dataclass(frozen=True)
class Verdict:
    """What a person (or a script) needs to know about one certificate."""

    status: str
    message: str
    advice: str
    revoked_at: datetime | None = None
    reason: str = ""
    serial_hex: str = ""
    serial_decimal: str = ""
    subject: str = ""
    issuer: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    fingerprint_sha256: str = ""
    issuer_name: str = ""  # the jitsuin CA that issued it, when known
    sources: tuple[str, ...] = ()
    online: tuple[relying_party.Finding, ...] = field(default=())

    stops_working_at: datetime | None = None  # switch_now: when its CA is revoked

    @property
    def ok(self) -> bool:
        """Services accept it now (``switch_now`` too, but only until ``stops_working_at``)."""
        return self.status in (Status.VALID, Status.SWITCH_NOW)

    @property
    def action_needed(self) -> bool:
        return self.status != Status.VALID


def read_certificates(data: bytes, pin: str | None) -> list[x509.Certificate]:
    """Leaf first. PEM or DER certificates, or PKCS#12 opened with ``pin``."""
    try:
        return load_certificates(data)
    except NotACertificate:
        if pin is None:
            if _looks_like_pkcs12(data):
                raise WrongPin("this is a PKCS#12 file: give its PIN") from None
            raise
    # Files come from strangers: iteration counts are capped before any key derivation.
    return open_pkcs12_certificates_isolated(
        data,
        pin,
        max_iterations=current_config().pkcs12_max_iterations,
        timeout=PKCS12_OPEN_TIMEOUT,
    )


def _looks_like_pkcs12(data: bytes) -> bool:
    """A DER PFX starts SEQUENCE { INTEGER 3, ... } (RFC 7292)."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    length_octets = data[1] & 0x7F if data[1] & 0x80 else 0
    return data[2 + length_octets : 5 + length_octets] == b"\x02\x01\x03"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class _Facts:
    status: Status
    revoked_at: datetime | None = None
    reason: str = ""
    ca: Authority | None = None
    detail: str = ""
    stops_at: datetime | None = None


def _find_issuer(leaf: x509.Certificate) -> Authority | None:
    for authority in Authority.objects.all():
        ca = certificate_of(authority)
        if ca.subject != leaf.issuer:
            continue
        try:
            leaf.verify_directly_issued_by(ca)
        except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
            continue  # same name, other key (a forgery, a re-keyed CA) or an odd algorithm
        return authority
    return None


def _chain(authority: Authority) -> list[Authority]:
    chain = [authority]
    while chain[-1].parent_id is not None:
        chain.append(Authority.objects.get(pk=chain[-1].parent_id))
    return chain


def _path_validates(leaf: x509.Certificate, chain: list[Authority], at: datetime) -> str:
    """An error text, or "" when cryptography's verifier builds a path to one of our roots."""
    roots = [certificate_of(a) for a in chain if a.role == Role.ROOT]
    intermediates = [certificate_of(a) for a in chain if a.role != Role.ROOT]
    if not roots:
        return "no root CA above the issuer"
    if leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
        return ""  # a CA certificate: its signature was checked, which is what matters here
    store = verification.Store(roots)
    builder = verification.PolicyBuilder().store(store).time(at)
    try:
        builder.build_client_verifier().verify(leaf, intermediates)
    except verification.VerificationError as exc:
        return str(exc)
    return ""


def _facts(leaf: x509.Certificate, now: datetime) -> _Facts:
    issuer = _find_issuer(leaf)
    if issuer is None:
        return _Facts(Status.UNKNOWN_ISSUER)
    chain = _chain(issuer)
    serial = leaf.serial_number
    row = certificate_for(issuer, serial)
    if row is not None:
        if row.status == CertificateStatus.REVOKED and row.revoked_at and row.revoked_at <= now:
            return _Facts(Status.REVOKED, row.revoked_at, row.revocation_reason, issuer)
    else:
        child = child_authority_for(issuer, serial)
        if child is not None and child.revoked_at is not None and child.revoked_at <= now:
            return _Facts(Status.REVOKED, child.revoked_at, child.revocation_reason, issuer)
    ca_revocation = issuer_revocation(issuer)
    if ca_revocation is not None and ca_revocation.effective(now):
        return _Facts(
            Status.ISSUER_REVOKED, ca_revocation.at, ca_revocation.reason, ca_revocation.authority
        )
    if leaf.not_valid_after_utc < now:
        return _Facts(Status.EXPIRED, ca=issuer)
    if leaf.not_valid_before_utc > now:
        return _Facts(Status.NOT_YET_VALID, ca=issuer)
    problem = _path_validates(leaf, chain, now)
    if problem:
        return _Facts(Status.UNKNOWN_ISSUER, ca=issuer, detail=problem)
    if ca_revocation is not None and ca_revocation.at < leaf.not_valid_after_utc:
        return _Facts(Status.SWITCH_NOW, ca=issuer, stops_at=ca_revocation.at)
    return _Facts(Status.VALID, ca=issuer)


def _merge_online(facts: _Facts, findings: list[relying_party.Finding]) -> _Facts:
    """A relying party that fetched CRLs or OCSP and saw a revocation wins over the database."""
    if facts.status in (Status.REVOKED, Status.ISSUER_REVOKED):
        return facts
    for finding in findings:
        if finding.revoked:
            status = Status.ISSUER_REVOKED if finding.about_issuer else Status.REVOKED
            return _Facts(status, finding.revoked_at, finding.reason, facts.ca)
    return facts


def _texts(facts: _Facts, leaf: x509.Certificate, now: datetime) -> tuple[str, str]:
    reason = str(reason_label(facts.reason))
    ca_name = facts.ca.name if facts.ca else ""
    if facts.status == Status.VALID:
        message = _("This certificate is valid until %(date)s.") % {
            "date": _when(leaf.not_valid_after_utc)
        }
        if leaf.not_valid_after_utc - now < EXPIRING_SOON:
            advice = _("It expires soon: request a new certificate in the portal before that date.")
        else:
            advice = _("Nothing to do. Wi-Fi, VPN and sign-in should accept it.")
    elif facts.status == Status.SWITCH_NOW:
        assert facts.stops_at is not None
        message = _("This certificate is valid until %(date)s — switch now.") % {
            "date": when_text(facts.stops_at)
        }
        advice = _(
            "Its CA (%(ca)s) is revoked then, and the certificate stops working for Wi-Fi, VPN "
            "and sign-in. Request a new certificate in the portal and install it on every "
            "device before that moment."
        ) % {"ca": ca_name}
    elif facts.status == Status.REVOKED:
        message = _("This certificate was revoked on %(date)s (reason: %(reason)s).") % {
            "date": _when(facts.revoked_at),
            "reason": reason,
        }
        advice = _(
            "It no longer works for Wi-Fi, VPN or sign-in. Delete it and any network profile "
            "that uses it from your devices, and use your new certificate (or request one in "
            "the portal)."
        )
    elif facts.status == Status.EXPIRED:
        message = _("This certificate expired on %(date)s.") % {
            "date": _when(leaf.not_valid_after_utc)
        }
        advice = _(
            "Request a new certificate in the portal, then delete the expired one and any "
            "network profile that uses it from your devices."
        )
    elif facts.status == Status.NOT_YET_VALID:
        message = _("This certificate is not valid until %(date)s.") % {
            "date": _when(leaf.not_valid_before_utc)
        }
        advice = _("Check the date and time of your device; if they are right, wait until then.")
    elif facts.status == Status.ISSUER_REVOKED:
        message = _("The CA that issued this certificate (%(ca)s) was revoked on %(date)s.") % {
            "ca": ca_name,
            "date": _when(facts.revoked_at),
        }
        advice = _(
            "Every certificate that CA issued has stopped working. Request a new certificate "
            "in the portal, then delete the old one and any network profile that uses it."
        )
    else:
        message = _(
            "This certificate was not issued by a CA of this institution (issuer: %(issuer)s)."
        ) % {"issuer": leaf.issuer.rfc4514_string()}
        advice = _(
            "Check that you chose the right file. If it came from this portal, ask the helpdesk."
        )
    return message, advice


def check_certificate(
    data: bytes,
    *,
    pin: str | None = None,
    now: datetime | None = None,
    lang: str = "ja",
    online: bool = False,
    fetch: relying_party.Fetch | None = None,
) -> Verdict:
    """valid / switch_now / revoked / expired / not_yet_valid / issuer_revoked / unknown_issuer,
    in ``lang``.

    Raises NotACertificate for bytes that are no certificate, WrongPin for a PKCS#12 file
    without the right PIN.
    """
    now = now or timezone.now()
    certificates = read_certificates(data, pin)
    leaf = certificates[0]
    facts = _facts(leaf, now)
    sources = ["jitsuin"] if facts.status != Status.UNKNOWN_ISSUER or facts.ca else []
    findings: list[relying_party.Finding] = []
    if online:
        issuers = [certificate_of(a) for a in _chain(facts.ca)] if facts.ca else certificates[1:]
        findings = relying_party.check_online(leaf, issuers, now=now, fetch=fetch)
        facts = _merge_online(facts, findings)
        sources += sorted({f.source for f in findings if f.ok})
    with translation.override(lang):
        message, advice = _texts(facts, leaf, now)
        if facts.detail:
            advice = f"{advice} ({facts.detail})"
    return Verdict(
        status=facts.status.value,
        message=message,
        advice=advice,
        revoked_at=facts.revoked_at,
        reason=facts.reason,
        serial_hex=Serial(leaf.serial_number).hex,
        serial_decimal=str(leaf.serial_number),
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        fingerprint_sha256=fingerprint_sha256(leaf),
        issuer_name=facts.ca.name if facts.ca else "",
        sources=tuple(sources),
        online=tuple(findings),
        stops_working_at=facts.stops_at,
    )
