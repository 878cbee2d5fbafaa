"""Fixtures for the pki core tests: plain pytest, no database."""

from __future__ import annotations

import pytest

from tests.pki.factories import TestPki, shared_pki, shared_rsa_pki


@pytest.fixture(scope="session")
def pki() -> TestPki:
    """ECDSA P-384 root and intermediate, P-256 OCSP responder (the default install)."""
    return shared_pki()


@pytest.fixture(scope="session")
def rsa_pki() -> TestPki:
    """RSA-3072 root and intermediate, RSA-2048 OCSP responder."""
    return shared_rsa_pki()


@pytest.fixture(scope="session", params=["ec", "rsa"])
def any_pki(request: pytest.FixtureRequest) -> TestPki:
    """Each hierarchy in turn, for tests about signatures."""
    return shared_pki() if request.param == "ec" else shared_rsa_pki()
