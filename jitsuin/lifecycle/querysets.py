"""Domain names for the questions asked of certificates and requests.

Every time-dependent question takes ``now=`` (django-ca's habit): the caller owns the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

from jitsuin.lifecycle.choices import OPEN_STATES, CertificateStatus, RequestKind
from jitsuin.lifecycle.issuers import issuer_revoked_q
from jitsuin.workdays import DEFAULT_CALENDAR, add_business_days

if TYPE_CHECKING:
    from jitsuin.authorities.models import Authority


def serial_decimal(serial: str) -> str:
    """``Certificate.serial_decimal`` for a stored serial (lower-case hex)."""
    return str(int(serial, 16)) if serial else ""


class SerialDecimalField(models.CharField):  # type: ignore[type-arg]
    """``Certificate.serial_decimal``: written from ``serial`` whenever the row is written
    (``save``, ``bulk_create``, ``row_inserts.insert_rows``: each asks the field's ``pre_save``).
    A plain ``CharField`` to migrations."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if "serial" in model_instance.__dict__:  # not when the row was read without it
            setattr(model_instance, self.attname, serial_decimal(model_instance.serial))  # type: ignore[attr-defined]
        return super().pre_save(model_instance, add)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class CertificateQuerySet(models.QuerySet[Any]):
    def valid(self, *, now: datetime) -> CertificateQuerySet:
        """Not revoked, and ``now`` lies inside the validity period."""
        return self.filter(status=CertificateStatus.VALID, not_before__lte=now, not_after__gt=now)

    def live(self, *, now: datetime) -> CertificateQuerySet:
        """Neither revoked nor expired at ``now`` (it may not have started yet)."""
        return self.filter(status=CertificateStatus.VALID, not_after__gt=now)

    def issuer_revoked(self, *, now: datetime) -> CertificateQuerySet:
        """Below a CA whose revocation has taken effect at ``now``: they no longer work."""
        return self.filter(issuer_revoked_q(now))

    def working(self, *, now: datetime) -> CertificateQuerySet:
        """Valid at ``now`` and no CA above them revoked: what services still accept."""
        return self.valid(now=now).exclude(issuer_revoked_q(now))

    def revoked(self, *, now: datetime) -> CertificateQuerySet:
        """Revoked at or before ``now``."""
        return self.filter(status=CertificateStatus.REVOKED, revoked_at__lte=now)

    def expiring_before(self, when: datetime) -> CertificateQuerySet:
        """Expired at or before ``when`` (combine with ``live`` for "still valid until then")."""
        return self.filter(not_after__lte=when)

    def for_crl(self, issuer: Authority, *, now: datetime) -> CertificateQuerySet:
        """The certificates ``issuer``'s CRL at ``now`` lists."""
        return self.filter(issuer=issuer).revoked(now=now)


# A campaign member's latest sighting under the old CAs, read from the index alone
# (campaigns.members: one probe per member at 1,000,000 members).
LATEST_SIGHTING_INDEX = models.Index(
    fields=["person", "issuer", "last_seen_at"], name="cert_person_issuer_seen_idx"
)


# The oldest open request (the console's dashboard): with only the created_at index,
# PostgreSQL walked 0.5M settled requests to find it at 1,000,000 certificates.
OPEN_BY_AGE_INDEX = models.Index(
    fields=["created_at"],
    condition=Q(state__in=[str(state) for state in OPEN_STATES]),
    name="request_open_by_age",
)


# What the CRL publication reads (``for_crl(...).values_list("crl_entry")``), as an index-only
# scan on PostgreSQL: 100,000 stored entries in ~40 ms, where the table scan took ~130 ms.
CRL_ENTRIES_INDEX = models.Index(
    fields=["issuer", "revoked_at"],
    include=["crl_entry"],
    condition=Q(status=CertificateStatus.REVOKED),
    name="certificate_crl_entries",
)


class RequestQuerySet(models.QuerySet[Any]):
    def open(self) -> RequestQuerySet:
        """Not yet settled: queued, waiting, processing or failed (a retry is possible)."""
        return self.filter(state__in=OPEN_STATES)

    def open_revocations(self) -> RequestQuerySet:
        return self.open().filter(kind=RequestKind.REVOKE)

    def open_issues(self) -> RequestQuerySet:
        return self.open().filter(kind=RequestKind.ISSUE)

    def stuck(self, *, now: datetime, business_days: int) -> RequestQuerySet:
        """Open requests made ``business_days`` business days or more before ``now``.

        Exactly ``now >= add_business_days(created_at, business_days)``, written as SQL.
        """
        return self.open().filter(made_business_days_ago(now, business_days))


def made_business_days_ago(now: datetime, days: int, field: str = "created_at") -> Q:
    """``field`` lies at least ``days`` business days before ``now`` (Japanese calendar).

    ``add_business_days`` keeps the time of day, so a day whose deadline is today counts up
    to ``now``'s time of day, and every earlier-closing day counts whole.
    """
    calendar = DEFAULT_CALENDAR
    local_now = now.astimezone(calendar.timezone)
    today = local_now.date()

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=calendar.timezone)

    condition = Q()
    day = today
    while True:
        deadline = add_business_days(day, days, calendar=calendar)
        if deadline < today:
            # Every earlier day's deadline is earlier still: whole days from here back.
            return condition | Q(**{f"{field}__lt": start_of(day + timedelta(days=1))})
        if deadline == today:
            condition |= Q(
                **{
                    f"{field}__gte": start_of(day),
                    f"{field}__lte": datetime.combine(day, local_now.timetz()),
                }
            )
        day -= timedelta(days=1)
