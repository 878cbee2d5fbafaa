from __future__ import annotations

import logging

import pytest

from jitsuin.authorities.publishing.ocsp_signing import reset_process_caches
from jitsuin.lifecycle import sightings

from .factories import make_hierarchy


@pytest.fixture(autouse=True)
def _fresh_process_caches(monkeypatch):
    # Tests flush sightings themselves; no background flush in the middle of a test.
    monkeypatch.setattr(sightings, "FLUSH_INTERVAL", 1e9)
    reset_process_caches()
    sightings._buffer.clear()
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    yield
    reset_process_caches()
    sightings._buffer.clear()


@pytest.fixture
def pki(db):  # type: ignore[no-untyped-def]
    return make_hierarchy()
