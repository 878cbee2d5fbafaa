"""Calling the API with a token, as a client would."""

from __future__ import annotations

from jitsuin.access.tokens import create_token


def bearer(*scopes: str, name: str = "client") -> dict[str, str]:
    """Headers for a fresh token holding ``scopes``."""
    raw, _ = create_token(name, scopes, actor="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
