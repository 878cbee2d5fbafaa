"""The straggler list's order: by the latest sighting of any of the person's certificates
from the old CAs (not only the one the member row points to, never another CA's), never
seen last, then by uid. Pinned because the query behind it is shaped for 1,000,000 members
(docs/performance.md) and a rewrite must keep what the offices see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.campaigns import members, services
from jitsuin.lifecycle.models import Certificate, CertificateStatus
from jitsuin.pki.names import Serial, new_serial
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db


def _another(certificate: Certificate, *, issuer, seen, **changes) -> Certificate:
    """A second certificate of the same holder (its own serial and fingerprint)."""
    serial = Serial(new_serial()).db
    copy = Certificate.objects.get(pk=certificate.pk)
    copy.pk = None
    copy.issuer = issuer
    copy.serial = serial
    copy.fingerprint_sha256 = f"{issuer.pk}{serial}".ljust(64, "0")[:64]
    copy.last_seen_at = seen
    for name, value in changes.items():
        setattr(copy, name, value)
    copy.save()
    return copy


def test_stragglers_come_by_the_latest_sighting_of_any_old_certificate():
    scene = f.scene()
    campaign = f.campaign_starting_now(scene, 4, name="order", real=1)
    now = timezone.now()
    campaign = services.start(campaign, actor="test", require_preflight=False, now=now)
    a, b, c, d = sorted(campaign.members.select_related("person"), key=lambda m: m.person.uid)
    old_of = {m.person_id: Certificate.objects.get(pk=m.old_certificate_id) for m in (a, b, c, d)}
    Certificate.objects.filter(pk=old_of[a.person_id].pk).update(
        last_seen_at=now - timedelta(days=9)
    )
    Certificate.objects.filter(pk=old_of[b.person_id].pk).update(
        last_seen_at=now - timedelta(days=8)
    )
    # b's older, revoked certificate from the old CA was seen most recently of all: it counts.
    _another(
        old_of[b.person_id],
        issuer=scene.old,
        seen=now - timedelta(days=1),
        status=CertificateStatus.REVOKED,
    )
    # a's expired certificate from another CA, seen later still: it does not.
    _another(
        old_of[a.person_id],
        issuer=scene.new,
        seen=now - timedelta(hours=1),
        not_after=now - timedelta(days=2),
    )

    rows = list(members.member_rows(campaign, now=now + timedelta(minutes=1)))

    assert [r.person_id for r in rows] == [b.person_id, a.person_id, c.person_id, d.person_id]
    assert [r.last_seen_at for r in rows] == [
        now - timedelta(days=1),
        now - timedelta(days=9),
        None,
        None,
    ]
    assert [r.old_serial for r in rows] == [
        Serial.parse(old_of[m.person_id].serial).hex for m in (b, a, c, d)
    ]
    assert {r.category for r in rows} == {"not_started"}
    first = list(members.member_rows(campaign, now=now + timedelta(minutes=1), limit=2))
    assert first == rows[:2]
