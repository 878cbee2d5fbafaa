"""Fixtures for the signer's own tests: a registered RA and the orders it sends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jitsuin.signer.models import RegisteredRa


def public_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def issue_body(key: str = "order-1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotency_key": key,
        "profile": "client-auth",
        "subject": "CN=Alice,O=Example University",
        "email": "alice@example.ac.jp",
        "validity_seconds": int(timedelta(days=30).total_seconds()),
        "public_key": public_key_pem(),
    }
    body.update(changes)
    return body


@pytest.fixture
def ra(ca_hierarchy) -> RegisteredRa:  # type: ignore[no-untyped-def]
    return RegisteredRa.objects.create(
        name="ra-one",
        certificate_fingerprint="ab" * 32,
        profiles=["client-auth"],
        email_domains=["example.ac.jp"],
        organizations=["Example University"],
        rate_per_minute=5,
    )
