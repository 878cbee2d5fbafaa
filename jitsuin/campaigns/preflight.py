"""Pre-flight checks before the switch and again before the revocation: pass or fail, and why.

No anchor checks its relying parties before a switch; jitsuin does: with
JITSUIN_PREFLIGHT_RADIUS (host:port:secret) set, a canary certificate from the new
intermediate must log in by EAP-TLS, and one from the old intermediate must still do so
until the deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.utils import timezone

from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority, AuthorityStatus, PublishedCrl, Role
from jitsuin.authorities.publishing import relying_parties
from jitsuin.authorities.services import certificate_of, chain_of, public_urls, signer_for
from jitsuin.campaigns import check_text
from jitsuin.campaigns.models import Campaign
from jitsuin.campaigns.radius import LoginResult, RadiusTarget, eap_tls_login
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
    """One check: its identifier, the outcome, and why as a code with parameters.

    ``reason`` renders in the active language, so each reader sees their own; ``skipped``
    marks a check that could not run (it does not fail the pre-flight, and says so).
    """

    name: str
    passed: bool
    code: str = ""
    params: Mapping[str, object] = field(default_factory=dict)
    skipped: bool = False

    @property
    def label(self) -> str:
        return check_text.label(self.name)

    @property
    def reason(self) -> str:
        return check_text.sentence(self.code, self.params)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "passed": self.passed,
            "code": self.code,
            "params": dict(self.params),
            "skipped": self.skipped,
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, object]) -> Check:
        """A stored entry; one from before codes keeps its sentence as written."""
        params = stored.get("params")
        code = str(stored.get("code") or "")
        return cls(
            name=str(stored.get("name", "")),
            passed=bool(stored.get("passed")),
            code=code,
            params=dict(params)
            if isinstance(params, dict) and code
            else {"reason": str(stored.get("reason", ""))},
            skipped=bool(stored.get("skipped", False)),
        )


def _usable(authority: Authority, now: datetime) -> Check:
    name, ca = "new_intermediate_usable", {"ca": authority.name}
    if authority.role != Role.INTERMEDIATE:
        return Check(name, False, "not_intermediate", ca)
    if authority.status not in (AuthorityStatus.PENDING, AuthorityStatus.ACTIVE):
        return Check(name, False, "bad_status", {**ca, "status": str(authority.status)})
    if authority.revoked_at is not None:
        return Check(name, False, "revoked_or_scheduled", ca)
    if authority.not_before > now or authority.not_after <= now:
        return Check(name, False, "outside_validity", ca)
    return Check(name, True, "can_issue", ca)


def _life_covers_profiles(authority: Authority, now: datetime) -> Check:
    name = "life_covers_profiles"
    remaining = authority.not_after - now
    short = [p for p in Profile.objects.filter(active=True) if p.validity > remaining]
    if short:
        profiles = ", ".join(f"{p.slug} ({p.validity_days})" for p in short)
        params = {"ca": authority.name, "days": remaining.days, "profiles": profiles}
        return Check(name, False, "life_short", params)
    return Check(name, True, "life_ok", {"days": remaining.days})


def _chain_published(authority: Authority) -> Check:
    name = "chain_published"
    chain = chain_of(authority)
    top = chain[-1]
    if top.role != Role.ROOT:
        return Check(name, False, "no_root")
    for child, parent in zip(chain, chain[1:], strict=False):
        if parent.revoked_at is not None or parent.status == AuthorityStatus.REVOKED:
            return Check(name, False, "parent_revoked", {"ca": parent.name})
        try:
            certificate_of(child).verify_directly_issued_by(certificate_of(parent))
        except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
            return Check(name, False, "bad_signature", {"child": child.name, "parent": parent.name})
    return Check(name, True, "chain_ok", {"chain": " → ".join(a.name for a in chain)})


def _crls_fresh(authority: Authority, now: datetime) -> Check:
    name = "crls_fresh"
    problems: list[dict[str, object]] = []
    for ca in chain_of(authority):
        crl = PublishedCrl.objects.latest_times_for(ca)
        if crl is None:
            problems.append({"code": "crl_missing", "ca": ca.name})
        elif crl.next_update <= now:
            at = f"{timezone.localtime(crl.next_update):%Y-%m-%d %H:%M %z}"
            problems.append({"code": "crl_stale", "ca": ca.name, "at": at})
        elif crl.this_update > now:
            problems.append({"code": "crl_future", "ca": ca.name})
    if problems:
        return Check(name, False, "problems", {"problems": problems})
    return Check(name, True, "crls_ok")


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


def _canary(name: str, ca: Authority, result: LoginResult, codes: tuple[str, str]) -> Check:
    code = codes[0] if result.accepted else codes[1]
    return Check(name, result.accepted, code, {"ca": ca.name, **result.as_params()})


def _radius_checks(campaign: Campaign, now: datetime, *, actor: str) -> list[Check]:
    target = radius_target()
    if target is None:
        # Said out loud: without it the page reads as if relying parties were checked.
        return [Check("radius_canary", True, "radius_not_configured", skipped=True)]
    new = campaign.new_authority
    chain, key = issue_canary(new, now, actor=actor)
    result = eap_tls_login(target, identity=f"{CANARY_UID}@preflight", chain_pem=chain, key=key)
    checks = [_canary("radius_new_canary", new, result, ("new_accepted", "new_refused"))]
    if now < campaign.deadline:
        for old in campaign.old_authorities.all():
            if old.revoked_at is not None and old.revoked_at <= now:
                continue
            chain, key = issue_canary(old, now, actor=actor)
            result = eap_tls_login(
                target, identity=f"{CANARY_UID}@preflight", chain_pem=chain, key=key
            )
            checks.append(
                _canary("radius_old_canary", old, result, ("old_accepted", "old_refused"))
            )
    return checks


def _relying_parties_current(now: datetime) -> Check:
    """Before the deadline: every registered agent reports and holds the newest CRLs, so it
    will load the one that revokes the old intermediate."""
    name = "relying_parties_current"
    states = relying_parties.states(now=now)
    if not states:
        return Check(name, True, "no_relying_parties", skipped=True)
    behind = sorted(s.party.name for s in states if not s.ok)
    if behind:
        return Check(name, False, "relying_parties_behind", {"names": ", ".join(behind)})
    names = ", ".join(sorted(s.party.name for s in states))
    return Check(name, True, "relying_parties_ok", {"names": names})


def revocation_loaded(campaign: Campaign, now: datetime) -> list[Check]:
    """After the deadline: which relying parties hold the parent's CRL listing each revoked
    old intermediate (none registered: no check)."""
    checks = []
    for old in campaign.old_authorities.select_related("parent"):
        if old.revoked_at is None or old.revoked_at > now or old.parent is None:
            continue
        rows = relying_parties.deadline_rows(old, now=now)
        if not rows:
            continue
        params: dict[str, object] = {"ca": old.parent.name, "old": old.name}
        needed = rows[0].needed
        if needed is None:
            checks.append(
                Check("relying_parties_loaded", False, "revocation_not_published", params)
            )
            continue
        params["number"] = needed.number
        missing = sorted(r.state.party.name for r in rows if not r.has_it)
        if missing:
            params["names"] = ", ".join(missing)
            checks.append(Check("relying_parties_loaded", False, "revocation_not_loaded", params))
        else:
            params["names"] = ", ".join(sorted(r.state.party.name for r in rows))
            checks.append(Check("relying_parties_loaded", True, "revocation_loaded", params))
    return checks


def run_checks(campaign: Campaign, *, now: datetime, actor: str = "system") -> list[Check]:
    """Every check at ``now``; the RADIUS ones are "skipped" when no server is configured, the
    relying parties' when no agent reports; after the deadline, whether they loaded it."""
    new = campaign.new_authority
    checks = [_usable(new, now), _life_covers_profiles(new, now), _chain_published(new)]
    checks.append(_crls_fresh(new, now))
    checks.extend(_radius_checks(campaign, now, actor=actor))
    if now < campaign.deadline:
        checks.append(_relying_parties_current(now))
    else:
        checks.extend(revocation_loaded(campaign, now))
    return checks


def all_passed(checks: list[Check]) -> bool:
    return all(c.passed for c in checks)
