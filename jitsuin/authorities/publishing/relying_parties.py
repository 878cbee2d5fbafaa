"""Relying parties' agents: what each reported it loaded, and whether it keeps up.

``jitsuin relying-party sync --report-token-file`` reports after every pass (POST
/api/v1/relying-parties/report): its name, whether the pass worked, and the CRLs its CA
directory holds. A relying party is *behind* when it has not reported, or has not loaded a
CRL jitsuin published, for ``JITSUIN_RELYING_PARTY_GRACE`` (30 minutes); the console shows it
in red and ``relying_party_watch.alert_staff`` e-mails the helpdesk once per problem.

Reports are not audited one by one (an agent reports every few minutes); a host's first report
and forgetting it are. Information only: publishing never waits for a relying party.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority, PublishedCrl, RelyingParty
from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.services import certificate_of
from jitsuin.pki.names import Serial

# A token names at most this many hosts: a leaked token cannot fill the table.
MAX_PER_TOKEN = 500
MAX_CRLS = 64


class TooManyRelyingParties(Exception):
    """The token already reports for MAX_PER_TOKEN hosts."""


@dataclass(frozen=True)
class ReportedCrl:
    issuer: str  # RFC 4514
    authority_key_id: str  # hex, "" when the CRL has none
    number: int
    this_update: datetime
    next_update: datetime | None

    def as_dict(self) -> dict[str, str]:
        return {
            "issuer": self.issuer,
            "authority_key_id": self.authority_key_id,
            "number": str(self.number),
            "this_update": self.this_update.isoformat(),
            "next_update": self.next_update.isoformat() if self.next_update else "",
        }

    @classmethod
    def from_dict(cls, stored: dict[str, str]) -> ReportedCrl:
        next_update = stored.get("next_update") or ""
        return cls(
            issuer=stored.get("issuer", ""),
            authority_key_id=stored.get("authority_key_id", ""),
            number=int(stored.get("number") or 0),
            this_update=datetime.fromisoformat(stored["this_update"]),
            next_update=datetime.fromisoformat(next_update) if next_update else None,
        )


@dataclass(frozen=True)
class Report:
    name: str
    ok: bool
    error: str = ""
    software: str = ""
    crls: tuple[ReportedCrl, ...] = ()


def record_report(token_name: str, report: Report, *, now: datetime) -> RelyingParty:
    """Keep what the agent of ``report.name`` (reporting with ``token_name``) holds now."""
    values = {
        "software": report.software,
        "last_report_at": now,
        "last_error": "" if report.ok else (report.error or "failed")[:500],
        "loaded": [crl.as_dict() for crl in report.crls[:MAX_CRLS]],
    }
    if report.ok:
        values["last_success_at"] = now
    with transaction.atomic():
        updated = RelyingParty.objects.filter(token_name=token_name, name=report.name).update(
            **values
        )
        if not updated:
            _register(token_name, report.name, values, now=now)
    return RelyingParty.objects.get(token_name=token_name, name=report.name)


def _register(token_name: str, name: str, values: dict[str, object], *, now: datetime) -> None:
    if RelyingParty.objects.filter(token_name=token_name).count() >= MAX_PER_TOKEN:
        raise TooManyRelyingParties(token_name)
    try:
        with transaction.atomic():
            party = RelyingParty.objects.create(
                token_name=token_name, name=name, first_report_at=now, **values
            )
            record(
                "relying_party.registered",
                actor=f"token:{token_name}",
                obj=party,
                data={"name": name, "software": values["software"]},
                at=now,
            )
    except IntegrityError:  # the same host's first two reports at once: the other one won
        RelyingParty.objects.filter(token_name=token_name, name=name).update(**values)


def forget(party: RelyingParty, *, actor: str, now: datetime) -> None:
    """Remove a decommissioned host (it comes back with its next report)."""
    with transaction.atomic():
        record(
            "relying_party.forgotten",
            actor=actor,
            obj=party,
            data={"name": party.name, "token": party.token_name},
            at=now,
        )
        party.delete()


# -- keeping up -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str  # silent, failing, behind, missing, expired
    key: str  # stable while it is the same problem: the watch e-mails once per key
    authority: str = ""
    loaded: int | None = None
    published: int | None = None
    since: datetime | None = None

    @property
    def text(self) -> str:
        if self.code == "silent":
            return _("no report since %(at)s") % {"at": _local(self.since)}
        if self.code == "failing":
            return _("its syncs fail (last success: %(at)s)") % {
                "at": _local(self.since) if self.since else _("never")
            }
        if self.code == "missing":
            return _("has no CRL of %(ca)s") % {"ca": self.authority}
        if self.code == "expired":
            return _(
                "holds an expired CRL of %(ca)s (number %(number)s): it refuses all its "
                "certificates"
            ) % {"ca": self.authority, "number": self.loaded}
        return _("holds CRL %(loaded)s of %(ca)s; %(published)s was published at %(at)s") % {
            "loaded": self.loaded,
            "ca": self.authority,
            "published": self.published,
            "at": _local(self.since),
        }


def _local(at: datetime | None) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else "-"


@dataclass(frozen=True)
class CrlState:
    authority: Authority
    published: PublishedCrl
    loaded: ReportedCrl | None
    behind: bool
    expired: bool


@dataclass(frozen=True)
class PartyState:
    party: RelyingParty
    crls: list[CrlState]
    problems: list[Problem] = field(default_factory=list)
    unknown: list[ReportedCrl] = field(default_factory=list)  # CRLs of no CA jitsuin knows

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Published:
    """Every CA with a CRL (what /crl/bundle.pem serves), its newest CRL and its key id."""

    latest: dict[int, PublishedCrl]
    authorities: list[Authority]
    by_key_id: dict[str, Authority]
    by_subject: dict[str, list[Authority]]

    @classmethod
    def now(cls) -> Published:
        authorities, latest = [], {}
        by_key_id: dict[str, Authority] = {}
        by_subject: dict[str, list[Authority]] = {}
        for authority in Authority.objects.order_by("role", "not_before"):
            crl = PublishedCrl.objects.latest_times_for(authority)
            if crl is None:
                continue
            authorities.append(authority)
            latest[authority.pk] = crl
            certificate = certificate_of(authority)
            subject = certificate.subject.rfc4514_string().casefold()
            by_subject.setdefault(subject, []).append(authority)
            try:
                ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
                by_key_id[ski.value.digest.hex()] = authority
            except x509.ExtensionNotFound:
                pass
        return cls(latest, authorities, by_key_id, by_subject)

    def authority_of(self, crl: ReportedCrl) -> Authority | None:
        if crl.authority_key_id:
            return self.by_key_id.get(crl.authority_key_id.lower())
        named = self.by_subject.get(crl.issuer.casefold(), [])
        return named[0] if len(named) == 1 else None


def state_of(party: RelyingParty, published: Published, *, now: datetime) -> PartyState:
    grace = timings().relying_party_grace
    loaded: dict[int, ReportedCrl] = {}
    unknown: list[ReportedCrl] = []
    for stored in party.loaded:
        crl = ReportedCrl.from_dict(stored)
        authority = published.authority_of(crl)
        if authority is None:
            unknown.append(crl)
        elif authority.pk not in loaded or crl.number > loaded[authority.pk].number:
            loaded[authority.pk] = crl
    problems: list[Problem] = []
    if party.last_report_at <= now - grace:
        at = party.last_report_at
        problems.append(Problem("silent", f"{party.pk}:silent:{at.isoformat()}", since=at))
    if party.last_error and (party.last_success_at is None or party.last_success_at <= now - grace):
        since = party.last_success_at
        key = f"{party.pk}:failing:{since.isoformat() if since else 'never'}"
        problems.append(Problem("failing", key, since=since))
    crls = []
    for authority in published.authorities:
        newest = published.latest[authority.pk]
        held = loaded.get(authority.pk)
        overdue = newest.this_update <= now - grace
        behind = overdue and (held is None or held.number < newest.number)
        expired = held is not None and held.next_update is not None and held.next_update <= now
        crls.append(CrlState(authority, newest, held, behind, expired))
        problem = _crl_problem(party, authority, newest, held, behind=behind, expired=expired)
        if problem is not None:
            problems.append(problem)
    return PartyState(party, crls, problems, unknown)


def _crl_problem(
    party: RelyingParty,
    authority: Authority,
    newest: PublishedCrl,
    held: ReportedCrl | None,
    *,
    behind: bool,
    expired: bool,
) -> Problem | None:
    prefix = f"{party.pk}:{{}}:{authority.slug}"
    if held is None:
        return Problem("missing", prefix.format("missing"), authority.name) if behind else None
    if expired:
        key = f"{prefix.format('expired')}:{held.number}"
        return Problem("expired", key, authority.name, loaded=held.number)
    if not behind:
        return None
    key = f"{prefix.format('behind')}:{newest.number}"
    return Problem(
        "behind",
        key,
        authority.name,
        loaded=held.number,
        published=newest.number,
        since=newest.this_update,
    )


def states(*, now: datetime) -> list[PartyState]:
    published = Published.now()
    return [state_of(party, published, now=now) for party in RelyingParty.objects.all()]


# -- a campaign's deadline ------------------------------------------------------------------


def first_crl_listing(authority: Authority) -> PublishedCrl | None:
    """The first CRL of ``authority``'s parent that lists ``authority`` as revoked."""
    if authority.parent is None or authority.revoked_at is None:
        return None
    serial = Serial.parse(authority.serial).value
    rows = PublishedCrl.objects.filter(
        # thisUpdate has whole seconds (X.509 time)
        authority=authority.parent,
        this_update__gte=authority.revoked_at.replace(microsecond=0),
    ).order_by("number")
    for row in rows.iterator():
        crl = x509.load_der_x509_crl(bytes(row.der))
        if crl.get_revoked_certificate_by_serial_number(serial) is not None:
            return row
    return None


@dataclass(frozen=True)
class DeadlineRow:
    """Has this relying party loaded the CRL that revokes the old intermediate?"""

    state: PartyState
    needed: PublishedCrl | None  # None: the old intermediate is not revoked (yet)
    loaded: ReportedCrl | None

    @property
    def has_it(self) -> bool:
        return (
            self.needed is not None
            and self.loaded is not None
            and self.loaded.number >= self.needed.number
        )


def deadline_rows(old: Authority, *, now: datetime) -> list[DeadlineRow]:
    """For each relying party: the CRL of ``old``'s parent it holds, against the one it needs."""
    needed = first_crl_listing(old)
    rows = []
    for state in states(now=now):
        held = next((c.loaded for c in state.crls if c.authority.pk == old.parent_id), None)
        rows.append(DeadlineRow(state, needed, held))
    return rows
