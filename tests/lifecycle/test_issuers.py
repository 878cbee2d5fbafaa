"""One place decides whether a certificate's CAs still let it work: Python and SQL agree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.lifecycle.issuers import issuer_revocation, when_text
from jitsuin.lifecycle.models import Certificate
from tests.revocation.factories import issue, make_hierarchy

pytestmark = pytest.mark.django_db


def _set(authority: Authority, at) -> None:  # type: ignore[no-untyped-def]
    Authority.objects.filter(pk=authority.pk).update(revoked_at=at)


def _revocation(row: Certificate):  # type: ignore[no-untyped-def]
    return issuer_revocation(Authority.objects.get(pk=row.issuer_id))


def test_the_earliest_revocation_in_the_chain_counts_and_sql_agrees(db):
    pki = make_hierarchy()
    old, new = issue(pki.old).row, issue(pki.current).row
    now = timezone.now()
    assert _revocation(old) is None
    assert set(Certificate.objects.working(now=now)) == {old, new}

    _set(pki.old, now + timedelta(days=2))
    _set(pki.root, now + timedelta(days=5))
    scheduled = _revocation(old)
    assert scheduled is not None and scheduled.authority == pki.old
    assert not scheduled.effective(now) and scheduled.effective(now + timedelta(days=2))
    assert _revocation(new).authority == pki.root
    assert not Certificate.objects.issuer_revoked(now=now).exists()

    _set(pki.old, now - timedelta(minutes=1))
    assert list(Certificate.objects.issuer_revoked(now=now)) == [old]
    assert list(Certificate.objects.working(now=now)) == [new]
    later = now + timedelta(days=6)  # the root's revocation reaches every certificate below it
    assert _revocation(new).effective(later)
    assert set(Certificate.objects.issuer_revoked(now=later)) == {old, new}


def test_when_text_has_the_weekday_in_the_viewers_language():
    from datetime import UTC, datetime

    from django.utils import translation

    moment = datetime(2026, 12, 3, 10, 51, tzinfo=UTC)  # 19:51 in Tokyo, a Thursday
    with translation.override("ja"):
        assert when_text(moment) == "12月3日（木）19:51"
    with translation.override("en"):
        assert when_text(moment) == "Thu 3 Dec 19:51"
