from __future__ import annotations

import logging

import pytest

from jitsuin.revocation import responder, sightings

from .factories import make_hierarchy


@pytest.fixture(autouse=True)
def _fresh_process_caches(monkeypatch):
    # Tests flush sightings themselves; no background flush in the middle of a test.
    monkeypatch.setattr(sightings, "FLUSH_INTERVAL", 1e9)
    responder.forget_caches()
    sightings._buffer.clear()
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    yield
    responder.forget_caches()
    sightings._buffer.clear()


@pytest.fixture
def pki(db):  # type: ignore[no-untyped-def]
    return make_hierarchy()
