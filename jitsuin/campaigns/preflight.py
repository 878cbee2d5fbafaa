"""Pre-flight checks before the switch and again before the revocation: pass or fail, and why.

No anchor checks its relying parties before a switch; jitsuin does: with
JITSUIN_PREFLIGHT_RADIUS (host:port:secret) set, a canary certificate from the new
intermediate must log in by EAP-TLS, and one from the old intermediate must still do so
until the deadline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority, AuthorityStatus, PublishedCrl, Role
from jitsuin.authorities.services import certificate_of, chain_of, public_urls, signer_for
from jitsuin.campaigns.models import Campaign
from jitsuin.campaigns.radius import RadiusTarget, eap_tls_login
from jitsuin.config import current
from jitsuin.lifecycle.models import Profile
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.issuance import issue_certificate
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.names import Serial, person_subject
from jitsuin.pki.profiles import CLIENT_AUTH

CANARY_LIFETIME = timedelta(hours=1)
CANARY_UID = "jitsuin-canary"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _usable(authority: Authority, now: datetime) -> Check:
    name = "new_intermediate_usable"
    if authority.role != Role.INTERMEDIATE:
        return Check(name, False, _("%(ca)s is not an intermediate CA.") % {"ca": authority.name})
    if authority.status not in (AuthorityStatus.PENDING, AuthorityStatus.ACTIVE):
        return Check(
            name,
            False,
            _("%(ca)s is %(status)s.") % {"ca": authority.name, "status": authority.status},
        )
    if authority.revoked_at is not None:
        return Check(
            name,
            False,
            _("%(ca)s is revoked or scheduled for revocation.") % {"ca": authority.name},
        )
    if authority.not_before > now or authority.not_after <= now:
        return Check(
            name, False, _("%(ca)s is outside its validity period.") % {"ca": authority.name}
        )
    return Check(name, True, _("%(ca)s can issue.") % {"ca": authority.name})


def _life_covers_profiles(authority: Authority, now: datetime) -> Check:
    name = "life_covers_profiles"
    remaining = authority.not_after - now
    short = [p for p in Profile.objects.filter(active=True) if p.validity > remaining]
    if short:
        return Check(
            name,
            False,
            _("%(ca)s has %(days)d days left, less than the validity of: %(profiles)s.")
            % {
                "ca": authority.name,
                "days": remaining.days,
                "profiles": ", ".join(f"{p.slug} ({p.validity_days})" for p in short),
            },
        )
    return Check(
        name,
        True,
        _("%(days)d days left cover every active profile's validity.") % {"days": remaining.days},
    )


def _chain_published(authority: Authority) -> Check:
    name = "chain_published"
    chain = chain_of(authority)
    top = chain[-1]
    if top.role != Role.ROOT:
        return Check(name, False, _("The chain does not end at a root CA."))
    for child, parent in zip(chain, chain[1:], strict=False):
        if parent.revoked_at is not None or parent.status == AuthorityStatus.REVOKED:
            return Check(name, False, _("%(ca)s is revoked.") % {"ca": parent.name})
        try:
            certificate_of(child).verify_directly_issued_by(certificate_of(parent))
        except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
            return Check(
                name,
                False,
                _("%(child)s is not signed by %(parent)s.")
                % {"child": child.name, "parent": parent.name},
            )
    names = " → ".join(a.name for a in chain)
    return Check(name, True, _("Published at /ca/: %(chain)s.") % {"chain": names})


def _crls_fresh(authority: Authority, now: datetime) -> Check:
    name = "crls_fresh"
    problems = []
    for ca in chain_of(authority):
        crl = PublishedCrl.objects.latest_for(ca)
        if crl is None:
            problems.append(_("%(ca)s has no published CRL") % {"ca": ca.name})
        elif crl.next_update <= now:
            problems.append(
                _("the CRL of %(ca)s is stale since %(at)s")
                % {"ca": ca.name, "at": f"{crl.next_update:%Y-%m-%d %H:%M}"}
            )
        elif crl.this_update > now:
            problems.append(_("the CRL of %(ca)s is not yet valid") % {"ca": ca.name})
    if problems:
        return Check(name, False, "; ".join(problems) + ".")
    return Check(name, True, _("Every CA in the chain has a current CRL."))


def issue_canary(authority: Authority, now: datetime, *, actor: str) -> tuple[bytes, PrivateKey]:
    """A one-hour client certificate from ``authority``, recorded in the audit log."""
    key = generate_private_key(KeySpec.parse("p256"))
    certificate = issue_certificate(
        profile=CLIENT_AUTH.with_validity(CANARY_LIFETIME),
        subject=person_subject(common_name="jitsuin pre-flight canary", uid=CANARY_UID),
        public_key=key.public_key(),
        signer=signer_for(authority),
        clock=FixedClock(now),
        urls=public_urls(),
        email=f"{CANARY_UID}@invalid.example",
    )
    with transaction.atomic():
        record(
            "campaign.canary_issued",
            actor=actor,
            obj=authority,
            data={
                "serial": Serial(certificate.serial_number).hex,
                "lifetime_s": int(CANARY_LIFETIME.total_seconds()),
            },
            at=now,
        )
    chain = certificate.public_bytes(serialization.Encoding.PEM) + certificate_of(
        authority
    ).public_bytes(serialization.Encoding.PEM)
    return chain, key


def radius_target() -> RadiusTarget | None:
    campaigns = current().campaigns
    server = campaigns.preflight_radius
    if server is None:
        return None
    return RadiusTarget(
        host=server.host,
        port=server.port,
        secret=server.secret,
        server_ca=campaigns.preflight_radius_ca,
    )


def _radius_checks(campaign: Campaign, now: datetime, *, actor: str) -> list[Check]:
    target = radius_target()
    if target is None:
        return []
    chain, key = issue_canary(campaign.new_authority, now, actor=actor)
    result = eap_tls_login(target, identity=f"{CANARY_UID}@preflight", chain_pem=chain, key=key)
    checks = [
        Check(
            "radius_new_canary",
            result.accepted,
            (
                _("A canary from %(ca)s logged in by EAP-TLS.")
                if result.accepted
                else _("A canary from %(ca)s was refused by RADIUS: %(detail)s.")
            )
            % {"ca": campaign.new_authority.name, "detail": result.detail},
        )
    ]
    if now < campaign.deadline:
        for old in campaign.old_authorities.all():
            if old.revoked_at is not None and old.revoked_at <= now:
                continue
            chain, key = issue_canary(old, now, actor=actor)
            result = eap_tls_login(
                target, identity=f"{CANARY_UID}@preflight", chain_pem=chain, key=key
            )
            checks.append(
                Check(
                    "radius_old_canary",
                    result.accepted,
                    (
                        _("A canary from %(ca)s is still accepted until the deadline.")
                        if result.accepted
                        else _(
                            "A canary from %(ca)s is already refused before the deadline: "
                            "%(detail)s."
                        )
                    )
                    % {"ca": old.name, "detail": result.detail},
                )
            )
    return checks


def run_checks(campaign: Campaign, *, now: datetime, actor: str = "system") -> list[Check]:
    """Every check at ``now``; the RADIUS ones only when a server is configured."""
    new = campaign.new_authority
    checks = [_usable(new, now), _life_covers_profiles(new, now), _chain_published(new)]
    checks.append(_crls_fresh(new, now))
    checks.extend(_radius_checks(campaign, now, actor=actor))
    return checks


def all_passed(checks: list[Check]) -> bool:
    return all(c.passed for c in checks)
