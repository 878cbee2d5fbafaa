"""A user sees only their own data; CSRF on every change; security headers on every page."""

from __future__ import annotations

import pytest

from jitsuin.lifecycle.models import Request
from tests.portal.conftest import give_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs_things(bob):  # type: ignore[no-untyped-def]
    certificate = give_certificate(bob, collect=False)
    request = Request.objects.get(certificate=certificate)
    return {"certificate": certificate.pk, "request": request.pk, "pickup": certificate.pickup.pk}


# Every portal URL that takes an id, with the method that reaches it.
ID_URLS = [
    ("get", "/certificates/{certificate}/"),
    ("get", "/certificates/{certificate}/status/"),
    ("get", "/certificates/{certificate}/revoke/"),
    ("post", "/certificates/{certificate}/revoke/"),
    ("post", "/certificates/{certificate}/confirm/"),
    ("get", "/requests/{request}/"),
    ("get", "/downloads/{pickup}/"),
    ("post", "/downloads/{pickup}/file/"),
]


def test_every_url_with_an_id_is_covered():
    from django.urls import get_resolver

    patterns = [str(p.pattern) for p in get_resolver("jitsuin.portal.urls").url_patterns]
    # Notices are public to every user; everything else with an id belongs to someone.
    # keys/ (archived S/MIME keys) needs a second factor and an archive: another person's
    # archive is refused in tests/recovery/test_portal.py and the permission matrix.
    with_ids = {p for p in patterns if "<int:" in p and not p.startswith(("notices/", "keys/"))}
    covered = {url.split("{")[0].lstrip("/") for _, url in ID_URLS}
    assert all(any(p.startswith(c) for c in covered) for p in with_ids), with_ids


@pytest.mark.parametrize(("method", "url"), ID_URLS)
def test_another_users_id_is_not_found(alice, bobs_things, client_for, method, url):
    client = client_for(alice)
    target = url.format(**bobs_things)
    data = {"idempotency": "c" * 32, "reason": "superseded", "pkcs12_profile": "compatible"}
    response = client.get(target) if method == "get" else client.post(target, data)
    assert response.status_code == 404
    assert not Request.objects.filter(kind="revoke").exists()


def test_the_owner_reaches_the_same_urls(bob, bobs_things, client_for):
    client = client_for(bob)
    for method, url in ID_URLS:
        if method == "get":
            assert client.get(url.format(**bobs_things)).status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "/issue/",
        "/certificates/{certificate}/revoke/",
        "/certificates/{certificate}/confirm/",
        "/downloads/{pickup}/file/",
        "/issue/anew/",
        "/account/logout/",
        "/i18n/setlang/",
    ],
)
def test_state_changes_need_a_csrf_token(bob, bobs_things, client_for, url):
    client = client_for(bob, csrf=True)
    response = client.post(url.format(**bobs_things), {"idempotency": "d" * 32})
    assert response.status_code == 403
    assert Request.objects.filter(person=bob).count() == 1


def test_security_headers(alice, client_for):
    response = client_for(alice).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_styles(alice_cert, client_for):
    import re

    client = client_for(alice_cert.person)
    for url in [
        "/",
        f"/certificates/{alice_cert.pk}/",
        "/issue/",
        "/help/",
        "/check/",
        "/notices/",
    ]:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"<[^>]*\son[a-z]+=", html), url  # no inline event handlers


def test_hsts_is_sent_over_https(alice, client_for, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client_for(alice).get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
