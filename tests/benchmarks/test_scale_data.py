"""The scale data generator (benchmarks.scale_data) at a small scale: the rows asked for, a
realistic spread, and the pages issue 15 measures render for a generated holder."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from benchmarks.scale_data import generate
from benchmarks.scale_pages import visitors
from jitsuin.lifecycle.models import Certificate, Person, Request, RequestTransition

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def generated():  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("the generator loads rows by COPY, PostgreSQL's (set DATABASE_URL)")
    return generate(people=400, certificates=1_300, transitions=2_000, seed=3)


def test_makes_the_rows_asked_for(generated):
    assert Person.objects.count() == 400
    assert Certificate.objects.count() == 1_300
    assert RequestTransition.objects.count() == 2_000
    assert Request.objects.count() == generated.requests > 0


def test_certificates_spread_over_two_intermediates_and_every_status(generated):
    now = timezone.now()
    rows = Certificate.objects.all()
    assert rows.values("issuer").distinct().count() == 2
    assert rows.filter(status="revoked").exists()
    assert rows.valid(now=now).exists()
    assert rows.filter(status="valid", not_after__lte=now).exists()  # expired
    serials = list(rows.values_list("serial", "serial_decimal"))
    assert len({s for s, _ in serials}) == len(serials)
    assert all(str(int(s, 16)) == d for s, d in serials)
    assert len(set(rows.values_list("person__email", flat=True))) > 300


def test_the_measured_pages_render_for_a_generated_holder(generated):
    who = visitors()
    pages = [(label, path, who.portal_cookie) for label, path in who.portal.items()]
    pages += [(label, path, who.console_cookie) for label, path in who.console.items()]
    for label, path, cookie in pages:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        response = client.get(path)
        assert response.status_code == 200, label
        if label.startswith("search") and label != "search: surname":  # 50 of many
            assert who.holder_uid in response.content.decode(), label
