"""collect_for_profile: the pickup's key for a Wi-Fi profile, under the download rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.errors import PickupGone
from jitsuin.lifecycle.models import Pickup, PickupState, RequestState
from jitsuin.lifecycle.pickups import collect_for_profile
from jitsuin.lifecycle.services import collect_pickup, request_issue, reveal_pin
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.lifecycle.conftest import key, run_pipeline


@pytest.fixture
def ready(profile, alice, t0) -> Pickup:
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    return Pickup.objects.get(request=request)


def test_the_material_is_the_compatible_pkcs12_and_what_it_holds(ready, t0):
    material = collect_for_profile(ready, actor="user:alice", fmt="onc", now=t0)
    assert material.pin == reveal_pin(ready, actor="user:alice")
    assert material.pkcs12 == collect_pickup(ready, actor="user:alice", now=t0)
    contents = load_pkcs12(material.pkcs12, material.pin)
    assert material.certificate == contents.certificate
    assert material.key.private_numbers() == contents.key.private_numbers()
    # The intermediate, never the self-signed root.
    assert material.chain and all(c.issuer != c.subject for c in material.chain)
    assert material.certificate.issuer == material.chain[0].subject


def test_it_counts_collects_and_audits_with_the_format(ready, t0):
    collect_for_profile(ready, actor="user:alice", fmt="mobileconfig", now=t0)
    ready.refresh_from_db()
    assert ready.download_count == 1 and ready.state == PickupState.COLLECTED
    assert ready.first_downloaded_at == t0
    assert ready.request.state == RequestState.COLLECTED
    event = AuditEvent.objects.get(action="pickup.downloaded")
    assert event.data["format"] == "mobileconfig" and event.data["count"] == 1


def test_outside_the_window_it_is_refused_and_not_counted(ready, t0):
    with pytest.raises(PickupGone):
        collect_for_profile(
            ready, actor="user:alice", fmt="onc", now=ready.expires_at + timedelta(seconds=1)
        )
    ready.refresh_from_db()
    assert ready.download_count == 0 and ready.state == PickupState.READY


def test_the_material_never_shows_its_pin_or_key_bytes_in_repr(ready, t0):
    material = collect_for_profile(ready, actor="user:alice", fmt="onc", now=t0)
    assert material.pin not in repr(material) and "pkcs12=" not in repr(material)
