"""/ca/*, /crl/* and /healthz from memory (served.PublicWsgi): the same bytes as Django's."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jitsuin import config
from jitsuin.authorities.models import PendingPublication, PublishedCrl
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing.settings import timings
from jitsuin.revocation import served

pytestmark = pytest.mark.django_db


class _Downstream:
    """Django, recording which requests reached it."""

    def __init__(self) -> None:
        self.django = WSGIHandler()
        self.paths: list[str] = []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        return self.django(environ, start_response)


def _call(app, method: str, path: str, **extra: str):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "203.0.113.9",  # not a campus network: these paths stay public
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        **extra,
    }
    seen: dict[str, object] = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"] = status
        seen["headers"] = list(response_headers)

    # As Django's test client does: the test's transaction keeps its connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, start_response)
        content = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], content


@pytest.fixture
def frozen(monkeypatch):
    """One instant for both ways in: a CRL's Expires and max-age follow the clock."""
    now = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.fixture
def ttl(monkeypatch):
    def set_ttl(value: str) -> None:
        monkeypatch.setenv("JITSUIN_PUBLIC_CACHE_TTL", value)
        config.current.cache_clear()
        served.cache.clear()

    yield set_ttl
    monkeypatch.delenv("JITSUIN_PUBLIC_CACHE_TTL", raising=False)
    config.current.cache_clear()


def _paths(pki) -> list[str]:
    slug = pki.current.slug
    return [
        "/ca/bundle.pem",
        "/ca/roots.pem",
        f"/ca/{slug}.pem",
        f"/ca/{pki.root.slug}.crt",
        "/crl/bundle.pem",
        f"/crl/{slug}.crl",
        f"/crl/{pki.old.slug}.pem",
        "/healthz",
    ]


VARIANTS = {
    "plain": {},
    "english": {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"},
    "cookie": {"HTTP_COOKIE": "jitsuin_lang=en; other=1", "HTTP_ACCEPT_LANGUAGE": "ja"},
    "unsupported": {"HTTP_ACCEPT_LANGUAGE": "fr"},
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_path_answers_byte_for_byte_as_django(pki, frozen, variant):
    publishing.refresh_crls()
    downstream = _Downstream()
    fast = served.PublicWsgi(downstream)
    extra = VARIANTS[variant]
    for path in _paths(pki):
        django = _call(downstream.django, "GET", path, **extra)
        assert django[0] == "200 OK", path
        for _ in range(2):  # built, then from memory
            assert _call(fast, "GET", path, **extra) == django, path
        head = _call(fast, "HEAD", path, **extra)
        assert head == (django[0], django[1], b""), path  # the server sends no body
        tag = dict(django[1]).get("ETag")
        if tag is not None:
            for sent in (tag, '"other"'):
                expected = _call(downstream.django, "GET", path, HTTP_IF_NONE_MATCH=sent, **extra)
                assert _call(fast, "GET", path, HTTP_IF_NONE_MATCH=sent, **extra) == expected
                assert expected[0] == ("304 Not Modified" if sent == tag else "200 OK")
                head = _call(fast, "HEAD", path, HTTP_IF_NONE_MATCH=sent, **extra)
                assert head[:2] == expected[:2]
    assert downstream.paths == []  # Django was asked only directly, for the comparison


def test_https_adds_hsts_as_django_does(pki, frozen, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    publishing.refresh_crls()
    downstream = _Downstream()
    fast = served.PublicWsgi(downstream)
    for forwarded in ("https", "http"):
        for path in (f"/crl/{pki.current.slug}.crl", "/healthz"):
            extra = {"HTTP_X_FORWARDED_PROTO": forwarded}
            expected = _call(downstream.django, "GET", path, **extra)
            assert _call(fast, "GET", path, **extra) == expected
            assert ("Strict-Transport-Security" in dict(expected[1])) == (forwarded == "https")


def test_a_new_crl_is_served_within_the_ttl_with_one_query(pki, frozen, ttl):
    ttl("60s")
    publishing.refresh_crls()
    fast = served.PublicWsgi(_Downstream())
    path = f"/crl/{pki.current.slug}.crl"
    first = _call(fast, "GET", path)
    with CaptureQueriesContext(connection) as queries:
        assert _call(fast, "GET", path) == first
        assert _call(fast, "GET", "/crl/bundle.pem")[0] == "200 OK"
    assert len(queries.captured_queries) == len(_build_queries(pki))  # the bundle, built once
    with CaptureQueriesContext(connection) as queries:
        _call(fast, "GET", path)
        _call(fast, "GET", "/crl/bundle.pem")
    assert queries.captured_queries == []  # from memory
    row = publishing.publish_crl(pki.current)
    assert _call(fast, "GET", path) == first  # within the TTL: the one this process has
    served.cache.clock = lambda: served.time.monotonic() + 61  # the TTL has passed
    status, headers, body = _call(fast, "GET", path)
    assert body == bytes(row.der) and dict(headers)["ETag"] != dict(first[1])["ETag"]
    with CaptureQueriesContext(connection) as queries:
        _call(fast, "GET", path)
    assert queries.captured_queries == []


def _build_queries(pki) -> list[dict[str, str]]:
    with CaptureQueriesContext(connection) as queries:
        served.crl_bundle()
    return list(queries.captured_queries)


def test_with_a_ttl_of_zero_every_request_asks_and_sees_the_new_crl(pki, ttl):
    ttl("0")
    publishing.refresh_crls()
    fast = served.PublicWsgi(_Downstream())
    before = _call(fast, "GET", "/crl/bundle.pem")
    with CaptureQueriesContext(connection) as queries:
        assert _call(fast, "GET", "/crl/bundle.pem") == before
    assert len(queries.captured_queries) == 1  # the publication marker
    publishing.publish_crl(pki.root)
    after = _call(fast, "GET", "/crl/bundle.pem")
    assert after[2] != before[2] and after[2].count(b"BEGIN X509 CRL") == 3


def test_no_crl_yet_is_djangos_503_and_the_first_crl_is_scheduled(pki):
    downstream = _Downstream()
    fast = served.PublicWsgi(downstream)
    for path in (f"/crl/{pki.current.slug}.crl", f"/crl/{pki.current.slug}.pem"):
        status, headers, body = _call(fast, "GET", path)
        assert status == "503 Service Unavailable" and dict(headers)["Retry-After"] == "30"
        assert dict(headers)["Cache-Control"] == "no-store"
    status, headers, body = _call(fast, "GET", "/crl/bundle.pem")
    assert status == "503 Service Unavailable"
    assert _call(downstream.django, "GET", "/crl/bundle.pem") == (status, headers, body)
    assert PublishedCrl.objects.count() == 0
    assert PendingPublication.objects.count() == 3
    publishing.publish_due()
    assert _call(fast, "GET", "/crl/bundle.pem")[2].count(b"BEGIN X509 CRL") == 3


def test_a_bundle_with_a_pending_ca_names_it_and_is_not_kept(pki, frozen, ttl):
    ttl("60s")
    publishing.publish_crl(pki.root)
    downstream = _Downstream()
    fast = served.PublicWsgi(downstream)
    status, headers, body = _call(fast, "GET", "/crl/bundle.pem")
    expected = _call(downstream.django, "GET", "/crl/bundle.pem")
    assert (status, headers, body) == expected
    assert dict(headers)["Cache-Control"] == "no-store"
    assert set(dict(headers)["Jitsuin-CRL-Pending"].split(", ")) == {
        pki.current.slug,
        pki.old.slug,
    }
    PublishedCrl.objects.all().delete()  # not kept: the next request reads again
    assert _call(fast, "GET", "/crl/bundle.pem")[0] == "503 Service Unavailable"


def test_everything_else_goes_down_to_django(pki):
    publishing.refresh_crls()
    downstream = _Downstream()
    fast = served.PublicWsgi(downstream)
    assert _call(fast, "GET", "/crl/nope.crl")[0] == "404 Not Found"
    assert _call(fast, "GET", "/ca/nope.pem")[0] == "404 Not Found"
    assert _call(fast, "POST", "/crl/bundle.pem")[0] == "403 Forbidden"  # CSRF, as before
    assert _call(fast, "GET", "/ca/bundle.pem", QUERY_STRING="x=1")[0] == "200 OK"
    assert _call(fast, "GET", "/crl/a/b.crl")[0] == "404 Not Found"
    assert downstream.paths == [
        "/crl/nope.crl",
        "/ca/nope.pem",
        "/crl/bundle.pem",
        "/ca/bundle.pem",
        "/crl/a/b.crl",
    ]
    assert _call(fast, "GET", "/crl/bundle.pem")[0] == "200 OK"
    assert len(downstream.paths) == 5


def test_a_failing_database_falls_back_to_django(pki, monkeypatch):
    publishing.refresh_crls()
    downstream = _Downstream()
    fast = served.PublicWsgi(downstream)

    def broken() -> tuple[object, ...]:
        raise RuntimeError("boom")

    monkeypatch.setattr(served, "publication_marker", broken)
    assert _call(fast, "GET", "/ca/roots.pem")[0] == "200 OK"
    assert downstream.paths == ["/ca/roots.pem"]


def test_healthz_reuses_the_slower_checks_but_always_asks_the_database(pki, ttl):
    ttl("60s")
    publishing.refresh_crls()
    fast = served.PublicWsgi(_Downstream())
    first = _call(fast, "GET", "/healthz")
    assert first[0] == "200 OK"
    with CaptureQueriesContext(connection) as queries:
        assert _call(fast, "GET", "/healthz") == first
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 1"]


def test_the_healthz_verdict_follows_the_data_after_the_ttl(pki, ttl):
    ttl("60s")
    publishing.refresh_crls()
    fast = served.PublicWsgi(_Downstream())

    def revocation() -> str:
        status, headers, body = _call(fast, "GET", "/healthz")
        return str(json.loads(body)["checks"]["revocation"]["status"])

    assert revocation() == "ok"
    PublishedCrl.objects.filter(authority=pki.old).update(
        next_update=timezone.now() + timings().crl_stale_margin - timedelta(minutes=1)
    )
    assert revocation() == "ok"  # reused within the TTL
    ttl("0")
    assert revocation() == "degraded"


def test_the_wsgi_entry_point_serves_these_paths_first():
    from jitsuin import wsgi
    from jitsuin.revocation.fastpath import OcspWsgi

    assert isinstance(wsgi.application, OcspWsgi)
    assert isinstance(wsgi.application.app, served.PublicWsgi)


def test_the_network_policy_still_keeps_the_portal_and_leaves_these_paths_public(
    pki, frozen, monkeypatch
):
    monkeypatch.setenv("JITSUIN_ALLOWED_NETWORKS", "10.0.0.0/8")
    config.current.cache_clear()
    publishing.refresh_crls()
    downstream = _Downstream()
    fast = served.PublicWsgi(downstream)
    for path in ("/crl/bundle.pem", f"/ca/{pki.root.slug}.crt", "/healthz"):
        expected = _call(downstream.django, "GET", path)  # from 203.0.113.9: outside
        assert expected[0] == "200 OK"
        assert _call(fast, "GET", path) == expected
    assert _call(fast, "GET", "/")[0] == "403 Forbidden"  # the portal: Django's policy
    assert downstream.paths == ["/"]
    monkeypatch.delenv("JITSUIN_ALLOWED_NETWORKS")
    config.current.cache_clear()
