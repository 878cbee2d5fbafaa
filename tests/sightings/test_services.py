"""An accepted login a relying party reports counts as the certificate's use: stragglers and
the overlap grace read it like an OCSP sighting; a rejected login does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.lifecycle import overlap
from jitsuin.sightings.services import record_sighting
from tests.notify import factories

pytestmark = pytest.mark.django_db


def login(certificate, result, at):  # type: ignore[no-untyped-def]
    return record_sighting(
        certificate,
        token_name="radius-1",
        nas_identifier="ap-lib-3f",
        nas_ip="10.1.2.3",
        result=result,
        now=at,
    )


def test_an_accepted_login_marks_first_and_last_use(ca_hierarchy):  # type: ignore[no-untyped-def]
    now = timezone.now()
    certificate = factories.certificate(factories.person("s2410001"), at=now)
    login(certificate, "accept", now)
    login(certificate, "accept", now + timedelta(hours=2))
    login(certificate, "accept", now + timedelta(hours=1))  # late report: moves nothing back
    certificate.refresh_from_db()
    assert certificate.first_seen_at == now
    assert certificate.last_seen_at == now + timedelta(hours=2)


def test_a_rejected_login_is_no_use(ca_hierarchy):  # type: ignore[no-untyped-def]
    now = timezone.now()
    certificate = factories.certificate(factories.person("s2410001"), at=now)
    login(certificate, "reject", now)
    certificate.refresh_from_db()
    assert certificate.first_seen_at is None and certificate.last_seen_at is None


def test_the_new_certificates_first_login_starts_the_overlap_grace(ca_hierarchy):  # type: ignore[no-untyped-def]
    now = timezone.now()
    holder = factories.person("s2410001")
    old = factories.certificate(holder, at=now - timedelta(days=30))
    new = factories.certificate(holder, at=now)
    old.superseded_by = new
    old.save(update_fields=["superseded_by"])
    assert overlap.revoke_date(old, now) is None  # the new one was never used
    login(new, "accept", now)
    old.refresh_from_db()
    assert overlap.revoke_date(old, now) == now + new.profile.overlap_grace
    later = now + new.profile.overlap_grace + timedelta(minutes=1)
    assert list(overlap.due(later)) == [old]
