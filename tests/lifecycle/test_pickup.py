"""One-time pickup: identical bytes in the window, nothing left after it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from jitsuin.lifecycle.errors import NotFound, PickupGone
from jitsuin.lifecycle.housekeeping import expire_pickups
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    Pickup,
    PickupState,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.lifecycle.services import collect_pickup, issue_anew, request_issue, reveal_pin
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.lifecycle.conftest import key, run_pipeline


@pytest.fixture
def ready(profile, alice, t0) -> Pickup:
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    return Pickup.objects.get(request=request)


def test_second_download_returns_the_same_bytes(ready, t0):
    first = collect_pickup(ready, actor="user:alice", now=t0)
    second = collect_pickup(ready, actor="user:alice", now=t0 + timedelta(days=3))
    assert first == second
    ready.refresh_from_db()
    assert ready.download_count == 2 and ready.state == PickupState.COLLECTED
    assert ready.request.state == RequestState.COLLECTED


def test_modern_profile_is_built_once_then_the_same_bytes(ready, t0):
    pin = reveal_pin(ready, actor="user:alice")
    first = collect_pickup(ready, actor="user:alice", pkcs12_profile="modern", now=t0)
    second = collect_pickup(ready, actor="user:alice", pkcs12_profile="modern", now=t0)
    compatible = collect_pickup(ready, actor="user:alice", now=t0)
    assert first == second != compatible
    assert load_pkcs12(first, pin).certificate == load_pkcs12(compatible, pin).certificate
    assert (
        load_pkcs12(first, pin).key.private_numbers()
        == load_pkcs12(compatible, pin).key.private_numbers()
    )


def test_pin_and_pkcs12_are_sealed_at_rest(ready, t0):
    pin = reveal_pin(ready, actor="user:alice")
    data = collect_pickup(ready, actor="user:alice", now=t0)
    ready.refresh_from_db()
    assert pin.encode() not in bytes(ready.sealed_pin)
    assert data not in bytes(ready.sealed_pkcs12_compatible)
    from jitsuin.audit.models import AuditEvent

    assert not any(pin in str(e.data) for e in AuditEvent.objects.all())


def test_download_after_expiry_is_refused_and_the_key_material_is_gone(ready, t0):
    collect_pickup(ready, actor="user:alice", now=t0)
    after = ready.expires_at + timedelta(seconds=1)
    with translation.override("en"), pytest.raises(PickupGone) as err:
        collect_pickup(ready, actor="user:alice", now=after)
    assert err.value.http_status == 410 and "destroyed" in str(err.value.message)
    with translation.override("ja"), pytest.raises(PickupGone) as err:
        collect_pickup(ready, actor="user:alice", now=after)
    assert "破棄" in str(err.value.message)
    assert expire_pickups(after) == 1
    ready.refresh_from_db()
    assert ready.state == PickupState.DESTROYED
    assert ready.sealed_pkcs12_compatible is None and ready.sealed_pkcs12_modern is None
    assert ready.sealed_pin is None
    with pytest.raises(PickupGone):
        reveal_pin(ready, actor="user:alice")
    # Collected in time: the certificate stays valid.
    assert ready.certificate.status == CertificateStatus.VALID
    assert expire_pickups(after) == 0  # twice is harmless


def test_uncollected_certificate_is_revoked_as_cessation_of_operation(ready, t0):
    after = ready.expires_at
    expire_pickups(after)
    ready.refresh_from_db()
    assert ready.request.state == RequestState.EXPIRED
    revoke = Request.objects.get(kind=RequestKind.REVOKE, target=ready.certificate)
    assert revoke.reason == "cessationOfOperation"
    run_pipeline(after)
    certificate = Certificate.objects.get(pk=ready.certificate_id)
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "cessationOfOperation"


def test_issue_anew_after_an_expired_pickup(ready, alice, t0):
    after = ready.expires_at
    with pytest.raises(NotFound):
        issue_anew(alice, actor="staff:hd", reason="lost", idempotency_key=key(), now=t0)
    expire_pickups(after)
    run_pipeline(after)
    again = issue_anew(
        alice, actor="staff:hd", reason="missed the window", idempotency_key=key(), now=after
    )
    assert again.state == RequestState.QUEUED
    run_pipeline(after)
    again.refresh_from_db()
    assert again.state == RequestState.READY


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_first_downloads_of_modern_get_the_same_bytes(ca_hierarchy):
    import threading

    from django.db import connection

    from jitsuin.lifecycle.services import default_profile
    from tests.lifecycle.conftest import T0, make_person

    default_profile()
    alice = make_person("alice")
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=T0)
    run_pipeline(T0)
    pickup = Pickup.objects.get(request=request)
    barrier = threading.Barrier(2)
    results: list[bytes] = []

    def download():
        try:
            barrier.wait()
            results.append(
                collect_pickup(pickup, actor="user:alice", pkcs12_profile="modern", now=T0)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    assert collect_pickup(pickup, actor="user:alice", pkcs12_profile="modern", now=T0) == results[0]
    pickup.refresh_from_db()
    assert pickup.download_count == 3
