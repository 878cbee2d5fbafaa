"""A campaign's members one by one: who has not migrated, in which category, last seen when.

The lists the console, the CSV export, the CLI and the API page through; the counts and the
conditions they filter by are queries.py's (one aggregate query each).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F, Max, OuterRef, QuerySet, Subquery

from jitsuin.campaigns.models import Campaign, Member
from jitsuin.campaigns.queries import (
    CATEGORY_LABELS,
    IN_PROGRESS,
    MIGRATED,
    NOT_STARTED,
    STUCK,
    annotated_members,
    conditions,
)
from jitsuin.lifecycle.models import Certificate, CertificateStatus, Person
from jitsuin.pki.names import Serial


def insert_members(campaign: Campaign, now: datetime) -> int:
    """One INSERT ... SELECT: everyone holding a valid certificate from an old intermediate."""
    old_ids = list(campaign.old_authorities.values_list("id", flat=True))
    placeholders = ", ".join(["%s"] * len(old_ids))
    cert = Certificate._meta.db_table
    member = Member._meta.db_table
    sql = (
        f"INSERT INTO {member} (campaign_id, person_id, old_certificate_id, old_certificates, "  # noqa: S608
        f"joined_at) SELECT %s, c.person_id, MAX(c.id), COUNT(*), %s FROM {cert} c "
        f"WHERE c.issuer_id IN ({placeholders}) AND c.status = %s AND c.not_before <= %s "
        "AND c.not_after > %s GROUP BY c.person_id"
    )
    params = [campaign.pk, now, *old_ids, CertificateStatus.VALID, now, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.rowcount
        if connection.vendor == "postgresql":
            # Up to 1,000,000 new rows: plan the invitations and the status with their
            # statistics, not autovacuum's guess from before (a chunk's query 109 -> 24 ms).
            cursor.execute(f"ANALYZE {member}")
        return inserted


def not_migrated(campaign: Campaign, *, now: datetime) -> QuerySet[Member]:
    c = conditions(campaign, now=now)
    return Member.objects.filter(campaign=campaign).filter(~c.migrated)


def _with_last_seen(members: QuerySet[Member], campaign: Campaign) -> QuerySet[Member]:
    """``last_seen``: the latest sighting of the member's certificates from the old CAs.

    A correlated subquery, not a join and GROUP BY: the join grouped every member by all of
    its selected columns (a sort of 1,000,000 wide rows on disk), the subquery is one probe
    of ``cert_person_issuer_seen_idx`` (index-only) per member.
    """
    old_ids = list(campaign.old_authorities.values_list("id", flat=True))
    latest = (
        Certificate.objects.filter(person_id=OuterRef("person_id"), issuer_id__in=old_ids)
        .order_by()
        .values("person_id")
        .annotate(latest=Max("last_seen_at"))
        .values("latest")
    )
    return members.annotate(last_seen=Subquery(latest))


def stragglers(
    campaign: Campaign, *, now: datetime, category: str | None = None
) -> QuerySet[Member]:
    """Members not migrated (of one category when given), as :func:`annotated_members` and
    with ``last_seen``; for paging in any order (the API pages them by key)."""
    members = annotated_members(campaign, now=now).filter(is_migrated=False)
    if category:
        members = members.filter(conditions(campaign, now=now).category(category))
    return _with_last_seen(members, campaign).select_related("person", "old_certificate")


def member_category(member: Member) -> str:
    """The category of a member from :func:`annotated_members` or :func:`stragglers`."""
    return _category_of(
        {name: getattr(member, name) for name in ("is_migrated", "is_stuck", "has_started")}
    )


@dataclass(frozen=True, slots=True)
class MemberRow:
    uid: str
    email: str
    name: str
    category: str
    last_seen_at: datetime | None
    old_serial: str
    person_id: int
    affiliation: str = ""

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS[self.category])


def _category(is_migrated: object, is_stuck: object, has_started: object) -> str:
    if is_migrated:
        return MIGRATED
    if is_stuck:
        return STUCK
    return IN_PROGRESS if has_started else NOT_STARTED


def _category_of(row: dict[str, object]) -> str:
    return _category(row["is_migrated"], row["is_stuck"], row["has_started"])


def category_of(campaign: Campaign, person_id: int, *, now: datetime) -> str | None:
    """One member's category (the console's person page); None for a non-member."""
    row = (
        annotated_members(campaign, now=now)
        .filter(person_id=person_id)
        .values("is_migrated", "is_stuck", "has_started")
        .first()
    )
    return None if row is None else _category_of(row)


def member_rows(
    campaign: Campaign,
    *,
    now: datetime,
    stragglers_only: bool = True,
    category: str | None = None,
    limit: int | None = None,
    language: str = "ja",
) -> Iterator[MemberRow]:
    """People with their category and when their old certificate was last seen in use.

    Stragglers (not migrated) come first by most recent sighting: they will be the loudest
    when the old intermediate goes.
    """
    members = annotated_members(campaign, now=now)
    if stragglers_only:
        members = members.filter(is_migrated=False)
    if category:
        members = members.filter(conditions(campaign, now=now).category(category))
    # The old serial by a subquery, not a join: PostgreSQL reads it after the sort and the
    # limit (50 rows for the console, not one lookup per member before sorting them all).
    old_serial = (
        Certificate.objects.filter(pk=OuterRef("old_certificate_id")).order_by().values("serial")
    )
    members = (
        _with_last_seen(members, campaign)
        .annotate(old_serial=Subquery(old_serial))
        .order_by("is_migrated", F("last_seen").desc(nulls_last=True), "person__uid")
    )
    rows = members.values_list(
        "person_id",
        "person__uid",
        "person__email",
        "person__name_ja",
        "person__name_en",
        "person__affiliation",
        "old_serial",
        "is_migrated",
        "is_stuck",
        "has_started",
        "last_seen",
    )
    if limit is not None:
        rows = rows[:limit]
    # Tuples, not dicts: one of these per member of a 1,000,000-row export.
    for (
        person_id,
        uid,
        email,
        name_ja,
        name_en,
        affiliation,
        serial,
        is_migrated,
        is_stuck,
        has_started,
        last_seen,
    ) in rows.iterator(chunk_size=2000):
        name = (name_ja or name_en) if language == "ja" else (name_en or name_ja)
        yield MemberRow(
            uid=uid,
            email=email,
            name=name or uid,
            category=_category(is_migrated, is_stuck, has_started),
            last_seen_at=last_seen,
            # The stored spelling (Serial.db), read without Serial.parse's checks.
            old_serial=Serial(int(serial, 16)).hex if serial else "",
            person_id=person_id,
            affiliation=affiliation,
        )


def _archived(campaign: Campaign) -> QuerySet[Member]:
    """Members whose old certificate's key is archived (S/MIME, lifecycle.recovery)."""
    return Member.objects.filter(campaign=campaign, old_certificate__key_archive__isnull=False)


def with_archived_keys(campaign: Campaign, people: list[Person]) -> set[int]:
    """The ids of ``people`` whose old certificate's key stays recoverable."""
    found = _archived(campaign).filter(person__in=people).values_list("person_id", flat=True)
    return set(found)


def has_archived_key(campaign: Campaign, person: Person) -> bool:
    return _archived(campaign).filter(person=person).exists()
