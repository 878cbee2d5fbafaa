from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.access.models import ApiToken
from jitsuin.access.tokens import (
    LAST_USED_RESOLUTION,
    TokenError,
    authenticate,
    create_token,
    revoke_token,
    secret_hash,
    state,
)
from jitsuin.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_plaintext_is_returned_once_and_only_its_hash_is_stored():
    raw, token = create_token("radius", ["sightings:write"], actor="cli:root")
    assert raw.startswith("jt_") and len(raw) > 40
    stored = ApiToken.objects.get(name="radius")
    assert stored.secret_hash == secret_hash(raw) and raw not in stored.secret_hash
    assert raw.startswith(stored.prefix) and len(stored.prefix) < 12
    event = AuditEvent.objects.get(action="access.api_token_created")
    assert event.actor == "cli:root" and raw not in str(event.data)
    assert event.data["scopes"] == ["sightings:write"]
    assert authenticate(raw) == token


def test_unknown_scopes_duplicate_names_and_bad_names_are_refused():
    with pytest.raises(TokenError, match="unknown scope people:delete"):
        create_token("a", ["people:delete"], actor="cli")
    with pytest.raises(TokenError, match="at least one scope"):
        create_token("a", [], actor="cli")
    with pytest.raises(TokenError, match="not a token name"):
        create_token("Has Space", ["scim"], actor="cli")
    create_token("a", ["scim"], actor="cli")
    with pytest.raises(TokenError, match="exists already"):
        create_token("a", ["scim"], actor="cli")
    assert ApiToken.objects.count() == 1


def test_expired_revoked_and_wrong_tokens_do_not_authenticate():
    now = timezone.now()
    raw, token = create_token(
        "idm", ["people:read"], actor="cli", expires_in=timedelta(days=1), now=now
    )
    assert authenticate(raw, now=now + timedelta(hours=23)) is not None
    assert authenticate(raw, now=now + timedelta(days=1)) is None
    assert state(token, now + timedelta(days=2)) == "expired"
    assert authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B"), now=now) is None
    assert authenticate("not-a-token", now=now) is None
    revoke_token("idm", actor="staff:admin")
    assert authenticate(raw, now=now) is None
    assert state(ApiToken.objects.get(name="idm")) == "revoked"
    assert AuditEvent.objects.get(action="access.api_token_revoked").actor == "staff:admin"
    with pytest.raises(TokenError, match="revoked already"):
        revoke_token("idm", actor="cli")
    with pytest.raises(TokenError, match="no token named"):
        revoke_token("nobody", actor="cli")


def test_last_use_moves_at_most_once_a_minute():
    now = timezone.now()
    raw, _ = create_token("reader", ["people:read"], actor="cli", now=now)
    authenticate(raw, now=now)
    authenticate(raw, now=now + timedelta(seconds=30))
    assert ApiToken.objects.get().last_used_at == now
    later = now + LAST_USED_RESOLUTION
    authenticate(raw, now=later)
    assert ApiToken.objects.get().last_used_at == later
