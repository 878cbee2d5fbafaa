"""A configured Wi-Fi server, people with a pickup waiting, and signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jitsuin import config
from jitsuin.lifecycle.models import Pickup
from tests.pki.factories import build_test_pki, pem
from tests.portal.conftest import alice, bob, client_for, give_certificate, profile

__all__ = ["alice", "bob", "client_for", "profile"]

SERVER_NAMES = ("radius.example.ac.jp", "radius2.example.ac.jp")
REALM = "example.ac.jp"


@pytest.fixture(scope="session")
def radius_pki():  # type: ignore[no-untyped-def]
    """The CA that issued the RADIUS server's certificate: not jitsuin's."""
    return build_test_pki(label=" RADIUS")


@pytest.fixture
def wifi(monkeypatch, tmp_path: Path, radius_pki) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """JITSUIN_RADIUS_SERVER_NAME, _CA and JITSUIN_EDUROAM_REALM set; the CA file's path."""
    ca_file = tmp_path / "radius-ca.pem"
    ca_file.write_bytes(pem(radius_pki.root.certificate))
    monkeypatch.setenv("JITSUIN_RADIUS_SERVER_NAME", ",".join(SERVER_NAMES))
    monkeypatch.setenv("JITSUIN_RADIUS_SERVER_CA", str(ca_file))
    monkeypatch.setenv("JITSUIN_EDUROAM_REALM", REALM)
    monkeypatch.setenv("JITSUIN_WIFI_NETWORKS", "eduroam,campus-secure")
    monkeypatch.setenv("JITSUIN_INSTITUTION_NAME", "Example University")
    monkeypatch.setenv("JITSUIN_HELPDESK_EMAIL", "help@example.ac.jp")
    config.current.cache_clear()
    yield ca_file
    monkeypatch.undo()
    config.current.cache_clear()


@pytest.fixture
def demo(monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JITSUIN_DEMO", "1")
    config.current.cache_clear()
    yield
    monkeypatch.undo()
    config.current.cache_clear()


@pytest.fixture
def pickup(alice) -> Pickup:  # type: ignore[no-untyped-def]
    """Alice's certificate, issued and waiting to be downloaded."""
    return give_certificate(alice, collect=False).pickup
