"""What a person may do now: the portal's buttons and the API use exactly this.

``actions_for(person)`` asks the same policy code the services use, so a button is enabled
exactly when the service would accept the click.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jitsuin.lifecycle.choices import OPEN_STATES
from jitsuin.lifecycle.issuers import IssuerRevocation, issuer_revocation, when_text
from jitsuin.lifecycle.maintenance import active_window
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    KeyArchive,
    MaintenanceWindow,
    Person,
    Pickup,
    PickupState,
    Profile,
    Request,
    RequestKind,
)
from jitsuin.lifecycle.policies import (
    IssueDecision,
    evaluate_issue,
    unsettled_requests,
    with_effective_policy,
)


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
    return _status(certificate, now, revoking=None)


def _status(certificate: Certificate, now: datetime, *, revoking: bool | None) -> str:
    """``revoking``: whether a revocation is open, if the caller looked it up (else None)."""
    if certificate.status == CertificateStatus.REVOKED:
        return DisplayStatus.REVOKED
    if certificate.not_after <= now:
        return DisplayStatus.EXPIRED
    revocation = issuer_revocation(certificate.issuer)
    if revocation is not None and revocation.effective(now):
        return DisplayStatus.ISSUER_REVOKED
    if certificate.not_before > now:
        return DisplayStatus.NOT_YET_VALID
    if revoking is None:
        revoking = open_revoke_request(certificate) is not None
    if revoking:
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
    """What ``person`` may do at ``now``. Each answer is computed once, when first asked: a
    page that shows no Issue button (a certificate's page) never evaluates the issue policy,
    and ``prepare`` looks up the buttons of a page's certificates together."""

    person: Person
    now: datetime
    requested_profile: Profile | None = None
    _cache: dict[int, CertificateActions] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def profile(self) -> Profile:
        """The profile asked about; the default one if none was named (unsaved if none),
        read with this person's rollover policy (one query)."""
        if self.requested_profile is not None:
            return self.requested_profile
        profiles = with_effective_policy(Profile.objects.all(), self.person, self.now)
        found = profiles.filter(is_default=True).first() or profiles.first()
        return found or Profile()

    @cached_property
    def unsettled(self) -> list[Request]:
        """``policies.unsettled_requests``: the person's open and ready requests."""
        return unsettled_requests(self.person)

    @cached_property
    def decision(self) -> IssueDecision:
        if self.profile.pk is None:
            return IssueDecision(False, "", _("No certificate type is configured."), "no_profile")
        return evaluate_issue(self.person, self.profile, self.now, unsettled=self.unsettled)

    @cached_property
    def maintenance(self) -> MaintenanceWindow | None:
        if self.profile.pk is None:
            return None
        return active_window(RequestKind.ISSUE, self.now)

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

    def prepare(self, certificates: Iterable[Certificate]) -> None:
        """Look up what the buttons of ``certificates`` need at once: two queries for a page
        of certificates read ``with_page_facts`` at this ``now`` (three otherwise) instead of
        three or four for each."""
        wanted = {
            c.pk: c
            for c in certificates
            if c.person_id == self.person.pk
            and c.pk not in self._cache
            and c.status == CertificateStatus.VALID
            and c.not_after > self.now
        }
        if wanted:
            self._cache.update(
                _certificate_actions(list(wanted.values()), self.now, self.unsettled)
            )

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
            self.prepare([certificate])
        if certificate.pk not in self._cache:  # revoked or expired: nothing to look up
            self._cache[certificate.pk] = _finished_actions(certificate, self.now)
        return self._cache[certificate.pk]


_REASONS: dict[str, Promise] = {
    DisplayStatus.REVOKED: _("This certificate is revoked."),
    DisplayStatus.EXPIRED: _("This certificate has expired."),
    DisplayStatus.REVOKING: _("Revocation has been requested and is being processed."),
    DisplayStatus.ISSUER_REVOKED: _(
        "The CA that issued this certificate was revoked: it no longer works. "
        "Request a new certificate."
    ),
}


def _finished_actions(certificate: Certificate, now: datetime) -> CertificateActions:
    status = certificate_status(certificate, now)
    return CertificateActions(
        status=status,
        can_revoke=False,
        can_download=False,
        can_confirm=False,
        reason=_REASONS.get(status, ""),
        ca_revocation=issuer_revocation(certificate.issuer),
    )


def _certificate_actions(
    certificates: list[Certificate], now: datetime, unsettled: list[Request]
) -> dict[int, CertificateActions]:
    """The actions of live ``certificates``: their pickups and successors each in one query,
    whatever their number; their open revocations from ``unsettled`` (a revocation is its
    certificate holder's request: ``services.request_revoke``)."""
    ids = [c.pk for c in certificates]
    pickups: dict[int, Pickup] = {}
    # The sealed PKCS#12 files and PIN are not needed for the buttons.
    sealed = ("sealed_pkcs12_compatible", "sealed_pkcs12_modern", "sealed_pin")
    for pickup in Pickup.objects.filter(certificate__in=ids, recovery=None).defer(*sealed):
        pickups[pickup.certificate_id] = pickup  # at most one each (a unique constraint)
    revocations = {
        r.target_id: r
        for r in unsettled
        if r.kind == RequestKind.REVOKE and r.state in OPEN_STATES and r.target_id in ids
    }
    statuses = {c.pk: _status(c, now, revoking=c.pk in revocations) for c in certificates}
    valid = [pk for pk, status in statuses.items() if status == DisplayStatus.VALID]
    superseding = {c.pk for c in certificates if getattr(c, "replaces_live", False)}
    if any(not hasattr(c, "replaces_live") for c in certificates if c.pk in valid):
        # Not fetched ``with_page_facts``: one query for them all.
        superseding = set(
            Certificate.objects.filter(superseded_by__in=valid)
            .live(now=now)
            .values_list("superseded_by_id", flat=True)
        )
    found = {}
    for certificate in certificates:
        status = statuses[certificate.pk]
        pickup = pickups.get(certificate.pk)
        found[certificate.pk] = CertificateActions(
            status=status,
            can_revoke=status in (DisplayStatus.VALID, DisplayStatus.NOT_YET_VALID),
            can_download=(
                pickup is not None
                and pickup.state != PickupState.DESTROYED
                and pickup.expires_at > now
            ),
            can_confirm=(
                status == DisplayStatus.VALID
                and certificate.pk in superseding
                and (pickup is None or pickup.download_count > 0)
            ),
            reason=_REASONS.get(status, ""),
            pickup=pickup,
            revoke_request=revocations.get(certificate.pk)
            if status == DisplayStatus.REVOKING
            else None,
            ca_revocation=issuer_revocation(certificate.issuer),
        )
    return found


def with_page_facts(certificates: QuerySet[Certificate], now: datetime) -> QuerySet[Certificate]:
    """``certificates`` with what a page asks of each, in their own query: ``replaces_live``
    (a live certificate at ``now`` it supersedes: its holder may confirm the switch; read by
    ``PersonActions.prepare``, whose ``now`` should be the same) and ``key_archived`` (its key
    is archived for recovery)."""
    replaced = Certificate.objects.filter(superseded_by=OuterRef("pk")).live(now=now)
    archived = KeyArchive.objects.filter(certificate=OuterRef("pk"))
    return certificates.annotate(replaces_live=Exists(replaced), key_archived=Exists(archived))


def actions_for(
    person: Person, *, now: datetime | None = None, profile: Profile | None = None
) -> PersonActions:
    """What ``person`` may do at ``now`` for ``profile`` (the default profile if None).

    Nothing is looked up until asked: one object per page, each answer computed once."""
    return PersonActions(person=person, now=now or timezone.now(), requested_profile=profile)
