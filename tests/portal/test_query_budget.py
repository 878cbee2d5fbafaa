"""Per-view query budgets: the certificate list costs the same with one certificate or many."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jitsuin.lifecycle.models import Certificate
from tests.notify import factories

pytestmark = pytest.mark.django_db

# The session, the user, the person with their roles (3); the certificates with their facts, the
# open requests, the pickups, the Wi-Fi use, the request history and its steps (6); the
# default profile with the person's exception, the certificates the issue policy counts,
# maintenance (3); notices, the maintenance and campaign banners (3); the database health
# check is not counted. 25 before issue 15.
HOME_BUDGET = 16
# The certificate, its switch partner, the open requests, its pickup, Wi-Fi use, its requests
# and their steps, the two banners, and the four of signing in.
CERTIFICATE_BUDGET = 13


def add_history(person, count: int) -> None:
    """``count`` old certificates, each with its finished issue and revoke requests."""
    start = timezone.now() - timedelta(days=400)
    for n in range(count):
        at = start + timedelta(days=n)
        certificate = factories.certificate(person, at=at)
        Certificate.objects.filter(pk=certificate.pk).update(
            status="revoked", revoked_at=at + timedelta(days=1), revocation_reason="superseded"
        )
        issue = factories.request(person, at=at, state="collected")
        issue.certificate = certificate
        issue.save(update_fields=["certificate"])
        factories.request(person, at=at, kind="revoke", state="done", target=certificate)


@pytest.fixture(autouse=True)
def _page_cache_off(request, monkeypatch):
    """The budgets of a render: the kept page (jitsuin.portal.page_cache) only where a test
    asks for it (``page_cache_on``)."""
    from jitsuin import config

    if "page_cache_on" not in request.fixturenames:
        monkeypatch.setenv("JITSUIN_PAGE_CACHE", "off")
        config.current.cache_clear()


@pytest.fixture
def page_cache_on():
    from django.core.cache import cache

    cache.clear()


def queries_for_home(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_my_certificates_does_not_query_per_certificate(alice_cert, client_for):
    client = client_for(alice_cert.person)
    queries_for_home(client)  # warm caches (content types, sessions)
    one = queries_for_home(client)
    add_history(alice_cert.person, 8)

    many = queries_for_home(client)

    assert many == one


def test_live_certificates_do_not_add_queries_either(alice_cert, client_for):
    """Each live certificate has buttons (download, revoke, confirm): looked up together."""
    client = client_for(alice_cert.person)
    # Two live certificates: the issue policy refuses a third (counted before and after alike).
    factories.certificate(alice_cert.person, at=timezone.now() - timedelta(days=1))
    queries_for_home(client)
    two = queries_for_home(client)
    for _ in range(3):
        factories.certificate(alice_cert.person, at=timezone.now() - timedelta(days=1))

    assert queries_for_home(client) == two


def test_my_certificates_stays_within_its_query_budget(
    alice_cert, client_for, django_assert_max_num_queries
):
    add_history(alice_cert.person, 8)
    client = client_for(alice_cert.person)
    with django_assert_max_num_queries(HOME_BUDGET):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(HOME_BUDGET):
        assert client.get("/status/").status_code == 200


def test_a_certificate_s_page_stays_within_its_query_budget(
    alice_cert, client_for, django_assert_max_num_queries
):
    add_history(alice_cert.person, 8)
    client = client_for(alice_cert.person)
    with django_assert_max_num_queries(CERTIFICATE_BUDGET):
        assert client.get(f"/certificates/{alice_cert.pk}/").status_code == 200


# The session, the user, the person with the user's staff roles, the fingerprint: nothing of
# the overview.
HOME_KEPT_BUDGET = 4


def test_a_kept_home_page_costs_the_sign_in_and_one_query(
    alice_cert, client_for, page_cache_on, django_assert_max_num_queries
):
    add_history(alice_cert.person, 8)
    client = client_for(alice_cert.person)
    first = client.get("/")
    with django_assert_max_num_queries(HOME_KEPT_BUDGET):
        again = client.get("/")
    assert again.status_code == 200
    assert again.content.count(b"certificate-") == first.content.count(b"certificate-") > 0
    assert client.get("/status/").status_code == 200  # rendered, then kept
    with django_assert_max_num_queries(HOME_KEPT_BUDGET):
        assert client.get("/status/").status_code == 200


def test_a_kept_certificate_page_costs_the_sign_in_and_one_query(
    alice_cert, client_for, page_cache_on, django_assert_max_num_queries
):
    add_history(alice_cert.person, 8)
    client = client_for(alice_cert.person)
    path = f"/certificates/{alice_cert.pk}/"
    first = client.get(path)
    with django_assert_max_num_queries(HOME_KEPT_BUDGET):
        again = client.get(path)
    assert again.status_code == 200 and first.status_code == 200
    assert f"certificate-{alice_cert.pk}".encode() in again.content
