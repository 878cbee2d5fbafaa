"""API tokens: made by a CA admin (console or CLI), shown once, kept as a SHA-256, scoped.

A token is ``jt_`` and 256 random bits (``secrets.token_urlsafe(32)``). A fast hash is enough for
a secret with that much entropy (no one can guess through it); it is compared in constant time.
Creating and revoking are audited; the secret never enters the audit log. Using a token is not
audited per call (reads would flood the log): ``last_used_at`` moves at most once a minute, and
the API audits every state change it makes with ``token:<name>`` as the actor.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from jitsuin.access.models import ApiToken
from jitsuin.audit.actors import Actor
from jitsuin.audit.services import record

TOKEN_PREFIX = "jt_"  # noqa: S105 (a marker, not a secret)
SHOWN_PREFIX_LENGTH = 10  # "jt_" and 7 characters: enough to tell tokens apart, nothing to guess
LAST_USED_RESOLUTION = timedelta(minutes=1)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

SCOPES: dict[str, str] = {
    "people:read": "read people",
    "people:write": "create, update and deactivate people",
    "certificates:read": "read certificates",
    "certificates:revoke": "revoke certificates",
    "requests:write": "create issue and revoke requests",
    "campaigns:read": "read switchover campaigns",
    "sightings:write": "report certificate use (relying parties)",
    "scim": "SCIM 2.0 provisioning",
    "relying-party": "check certificates as a relying party",
}


class TokenError(ValueError):
    """A token that cannot be made or revoked as asked (the message says why, in one line)."""


def secret_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise TokenError("give at least one scope")
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise TokenError(f"unknown scope {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    return chosen


def create_token(
    name: str,
    scopes: Iterable[str],
    *,
    actor: Actor | str,
    expires_in: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[str, ApiToken]:
    """A new token named ``name``; the plaintext is returned here once and never again."""
    if not NAME_PATTERN.match(name):
        raise TokenError(
            f"{name!r} is not a token name (lower-case letters, digits, . _ -; at most 64)"
        )
    chosen = _check_scopes(scopes)
    if expires_in is not None and expires_in <= timedelta(0):
        raise TokenError("the expiry must lie in the future")
    now = now or timezone.now()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                name=name,
                scopes=chosen,
                secret_hash=secret_hash(raw),
                prefix=raw[:SHOWN_PREFIX_LENGTH],
                created_by=str(actor),
                created_at=now,
                expires_at=now + expires_in if expires_in is not None else None,
            )
            record(
                "access.api_token_created",
                actor=actor,
                obj=token,
                data={
                    "name": name,
                    "scopes": chosen,
                    "prefix": token.prefix,
                    "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                },
            )
    except IntegrityError as exc:
        raise TokenError(f"a token named {name!r} exists already") from exc
    return raw, token


def revoke_token(name: str, *, actor: Actor | str, now: datetime | None = None) -> ApiToken:
    """Revoke the token ``name`` at once; revoking a revoked token is an error."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(name=name).first()
        if token is None:
            raise TokenError(f"no token named {name!r}")
        if token.revoked_at is not None:
            raise TokenError(f"the token {name!r} is revoked already")
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
        record("access.api_token_revoked", actor=actor, obj=token, data={"name": name})
    return token


def is_usable(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def state(token: ApiToken, now: datetime | None = None) -> str:
    """``active``, ``expired`` or ``revoked``."""
    now = now or timezone.now()
    if token.revoked_at is not None:
        return "revoked"
    return "active" if is_usable(token, now) else "expired"


def authenticate(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The usable token whose secret is ``raw``, or None (unknown, expired or revoked).

    The row is found by the hash (indexed, unique), then compared in constant time anyway.
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = now or timezone.now()
    digest = secret_hash(raw)
    token = ApiToken.objects.filter(secret_hash=digest).first()
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        return None
    if not is_usable(token, now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def has_scope(token: ApiToken, scope: str) -> bool:
    return scope in token.scopes
