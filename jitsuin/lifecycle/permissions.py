"""What a person may do now: the portal's buttons and the API use exactly this.

``actions_for(person)`` asks the same policy code the services use, so a button is enabled
exactly when the service would accept the click.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jitsuin.lifecycle.issuers import IssuerRevocation, issuer_revocation, when_text
from jitsuin.lifecycle.maintenance import active_window
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    MaintenanceWindow,
    Person,
    Pickup,
    PickupState,
    Profile,
    Request,
    RequestKind,
)
from jitsuin.lifecycle.policies import IssueDecision, evaluate_issue


class DisplayStatus:
    """Certificate statuses as users see them (DESIGN.md section 4)."""

    VALID = "valid"
    REVOKING = "revoking"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    # Its own status is fine, but a CA above it was revoked: it no longer works anywhere.
    ISSUER_REVOKED = "issuer_revoked"

    LABELS = {
        VALID: _("Valid"),
        REVOKING: _("Revoke processing"),
        REVOKED: _("Revoked"),
        EXPIRED: _("Expired"),
        NOT_YET_VALID: _("Not yet valid"),
        ISSUER_REVOKED: _("Not working: its CA was revoked"),
    }


_WORKING = (DisplayStatus.VALID, DisplayStatus.NOT_YET_VALID, DisplayStatus.REVOKING)


def open_revoke_request(certificate: Certificate) -> Request | None:
    return Request.objects.open_revocations().filter(target=certificate).first()


def certificate_status(certificate: Certificate, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if certificate.status == CertificateStatus.REVOKED:
        return DisplayStatus.REVOKED
    if certificate.not_after <= now:
        return DisplayStatus.EXPIRED
    revocation = issuer_revocation(certificate.issuer)
    if revocation is not None and revocation.effective(now):
        return DisplayStatus.ISSUER_REVOKED
    if certificate.not_before > now:
        return DisplayStatus.NOT_YET_VALID
    if open_revoke_request(certificate) is not None:
        return DisplayStatus.REVOKING
    return DisplayStatus.VALID


@dataclass(frozen=True)
class CertificateActions:
    status: str
    can_revoke: bool
    can_download: bool
    can_confirm: bool
    reason: str | Promise = ""
    pickup: Pickup | None = None
    revoke_request: Request | None = None
    # A revocation of its CA scheduled for later: it works only until then.
    ca_revocation: IssuerRevocation | None = None

    @property
    def status_label(self) -> str | Promise:
        return DisplayStatus.LABELS[self.status]

    @property
    def stops_working_at(self) -> datetime | None:
        """When a scheduled revocation of its CA ends a still-working certificate."""
        if self.ca_revocation is None or self.status not in _WORKING:
            return None
        return self.ca_revocation.at

    @property
    def switch_now_text(self) -> str:
        """ "valid until 12月3日（木）19:51 — switch now", in the active language."""
        at = self.stops_working_at
        if at is None:
            return ""
        return str(
            _("Valid until %(date)s — switch now: request a new certificate.")
            % {"date": when_text(at)}
        )


@dataclass(frozen=True)
class PersonActions:
    person: Person
    profile: Profile
    now: datetime
    decision: IssueDecision
    maintenance: MaintenanceWindow | None = None
    _cache: dict[int, CertificateActions] = field(default_factory=dict, compare=False, repr=False)

    @property
    def can_issue(self) -> bool:
        return self.decision.allowed

    @property
    def issue_blocked_reason(self) -> str | Promise:
        return "" if self.decision.allowed else self.decision.reason

    @property
    def issue_note(self) -> str | Promise:
        """What will happen after the click, when it is not simply "processed now"."""
        if not self.decision.allowed:
            return ""
        if self.decision.wait:
            return _("Your new certificate will be issued once the revocation is done.")
        if self.maintenance is not None:
            return _("Maintenance until %(end)s: your request will be processed after it.") % {
                "end": timezone.localtime(self.maintenance.ends_at).strftime("%Y-%m-%d %H:%M")
            }
        if self.decision.target is not None:
            return _("Your current certificate stays valid until you switch to the new one.")
        return ""

    @property
    def open_request(self) -> Request | None:
        return self.decision.open_request

    def for_certificate(self, certificate: Certificate) -> CertificateActions:
        if certificate.person_id != self.person.pk:
            return CertificateActions(
                status=certificate_status(certificate, self.now),
                can_revoke=False,
                can_download=False,
                can_confirm=False,
                reason=_("This is not your certificate."),
            )
        if certificate.pk not in self._cache:
            self._cache[certificate.pk] = _certificate_actions(certificate, self.now)
        return self._cache[certificate.pk]


def _certificate_actions(certificate: Certificate, now: datetime) -> CertificateActions:
    status = certificate_status(certificate, now)
    pickup = Pickup.objects.filter(certificate=certificate, recovery=None).first()
    can_download = (
        pickup is not None and pickup.state != PickupState.DESTROYED and pickup.expires_at > now
    )
    revoke_request = open_revoke_request(certificate) if status == DisplayStatus.REVOKING else None
    reason: str | Promise = ""
    if status == DisplayStatus.REVOKED:
        reason = _("This certificate is revoked.")
    elif status == DisplayStatus.EXPIRED:
        reason = _("This certificate has expired.")
    elif status == DisplayStatus.REVOKING:
        reason = _("Revocation has been requested and is being processed.")
    elif status == DisplayStatus.ISSUER_REVOKED:
        reason = _(
            "The CA that issued this certificate was revoked: it no longer works. "
            "Request a new certificate."
        )
    can_confirm = (
        status == DisplayStatus.VALID
        and Certificate.objects.filter(superseded_by=certificate).live(now=now).exists()
        and (pickup is None or pickup.download_count > 0)
    )
    return CertificateActions(
        status=status,
        can_revoke=status in (DisplayStatus.VALID, DisplayStatus.NOT_YET_VALID),
        can_download=can_download,
        can_confirm=can_confirm,
        reason=reason,
        pickup=pickup,
        revoke_request=revoke_request,
        ca_revocation=issuer_revocation(certificate.issuer),
    )


def actions_for(
    person: Person, *, now: datetime | None = None, profile: Profile | None = None
) -> PersonActions:
    """What ``person`` may do at ``now`` for ``profile`` (the default profile if None)."""
    from_now = now or timezone.now()
    if profile is None:
        profile = Profile.objects.filter(is_default=True).first() or Profile.objects.first()
    if profile is None:
        decision = IssueDecision(False, "", _("No certificate type is configured."), "no_profile")
        return PersonActions(person=person, profile=Profile(), now=from_now, decision=decision)
    return PersonActions(
        person=person,
        profile=profile,
        now=from_now,
        decision=evaluate_issue(person, profile, from_now),
        maintenance=active_window(RequestKind.ISSUE, from_now),
    )
