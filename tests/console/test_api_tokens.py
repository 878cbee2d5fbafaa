import re

import pytest
from django.test import Client
from django.urls import reverse

from jitsuin.access.models import ApiToken
from jitsuin.access.tokens import authenticate, create_token
from jitsuin.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_ca_admin_creates_a_token_that_is_shown_once_and_never_cached(ca_admin):
    page = ca_admin.post(
        reverse("console:api_tokens"),
        {"name": "radius-1", "scopes": ["sightings:write"], "expires_in_days": "90"},
    )
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    raw = re.search(r'data-testid="token-secret">(jt_[^<]+)<', page.content.decode()).group(1)
    token = authenticate(raw)
    assert token is not None and token.name == "radius-1" and token.expires_at is not None
    assert AuditEvent.objects.get(action="access.api_token_created").actor == "staff:ca1"
    listing = ca_admin.get(reverse("console:api_tokens")).content.decode()
    assert "radius-1" in listing and token.prefix in listing and raw not in listing


def test_a_duplicate_or_a_bad_scope_is_shown_on_the_form(ca_admin):
    create_token("dup", ["scim"], actor="test")
    page = ca_admin.post(reverse("console:api_tokens"), {"name": "dup", "scopes": ["scim"]})
    assert page.status_code == 200 and "exists already" in page.content.decode()
    page = ca_admin.post(reverse("console:api_tokens"), {"name": "x", "scopes": ["root"]})
    assert 'data-testid="token-secret"' not in page.content.decode()
    assert ApiToken.objects.count() == 1


def test_a_ca_admin_revokes_a_token(ca_admin):
    raw, token = create_token("idm", ["people:read"], actor="test")
    answer = ca_admin.post(reverse("console:api_token_revoke", args=[token.pk]))
    assert answer.status_code == 302 and authenticate(raw) is None
    assert AuditEvent.objects.get(action="access.api_token_revoked").actor == "staff:ca1"


def test_the_revoke_needs_the_csrf_token(ca_admin):
    _, token = create_token("idm", ["people:read"], actor="test")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = ca_admin.cookies
    assert strict.post(reverse("console:api_token_revoke", args=[token.pk])).status_code == 403
    assert ApiToken.objects.get().revoked_at is None


def test_other_staff_see_no_tokens_and_no_link(helpdesk, operator, ca_admin):
    for client in (helpdesk, operator):
        assert client.get(reverse("console:api_tokens")).status_code == 403
        dashboard = client.get(reverse("console:dashboard")).content.decode()
        assert reverse("console:api_tokens") not in dashboard
    dashboard = ca_admin.get(reverse("console:dashboard")).content.decode()
    assert reverse("console:api_tokens") in dashboard
