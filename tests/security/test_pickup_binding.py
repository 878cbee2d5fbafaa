"""Finding 12e: a pickup's sealed PKCS#12 and PIN open only in the row they were sealed for.

Someone with write access to the database must not be able to move user B's sealed file and
PIN into user A's pickup row and have A's download page hand them out.
"""

from __future__ import annotations

import os

import pytest

from jitsuin import sealing
from jitsuin.lifecycle.models import Pickup
from jitsuin.lifecycle.pickups import PURPOSE_PIN, PURPOSE_PKCS12
from jitsuin.lifecycle.services import collect_pickup, default_profile, request_issue, reveal_pin
from jitsuin.pki.pkcs12 import load_pkcs12
from jitsuin.sealing import SealError
from tests.lifecycle.conftest import T0, key, make_person, run_pipeline


@pytest.fixture
def two_pickups(ca_hierarchy) -> tuple[Pickup, Pickup]:
    default_profile()
    alice, bob = make_person("alice"), make_person("bob")
    a = request_issue(alice, actor="user:alice", idempotency_key=key(), now=T0)
    b = request_issue(bob, actor="user:bob", idempotency_key=key(), now=T0)
    run_pipeline(T0)
    return Pickup.objects.get(request=a), Pickup.objects.get(request=b)


def test_bobs_sealed_file_and_pin_do_not_open_in_alices_row(two_pickups):
    alice_pickup, bob_pickup = two_pickups
    Pickup.objects.filter(pk=alice_pickup.pk).update(
        sealed_pkcs12_compatible=bob_pickup.sealed_pkcs12_compatible,
        sealed_pin=bob_pickup.sealed_pin,
    )
    with pytest.raises(SealError):
        reveal_pin(alice_pickup, actor="user:alice")
    with pytest.raises(SealError):
        collect_pickup(alice_pickup, actor="user:alice", now=T0)
    with pytest.raises(SealError):
        collect_pickup(alice_pickup, actor="user:alice", pkcs12_profile="modern", now=T0)


def test_each_row_still_opens_its_own_file(two_pickups):
    for pickup in two_pickups:
        pin = reveal_pin(pickup, actor="system")
        contents = load_pkcs12(collect_pickup(pickup, actor="system", now=T0), pin)
        assert contents.certificate.serial_number == int(pickup.certificate.serial, 16)


def _legacy_seal(data: bytes, purpose: str) -> bytes:
    """A blob as the previous version sealed it: version 1, the purpose as associated data."""
    nonce = os.urandom(12)
    return b"\x01" + nonce + sealing._aead(purpose).encrypt(nonce, data, purpose.encode())


def test_a_row_sealed_by_the_previous_version_still_opens(two_pickups):
    pickup, _ = two_pickups
    pin = reveal_pin(pickup, actor="system")
    data = collect_pickup(pickup, actor="system", now=T0)
    Pickup.objects.filter(pk=pickup.pk).update(
        sealed_pkcs12_compatible=_legacy_seal(data, PURPOSE_PKCS12),
        sealed_pin=_legacy_seal(pin.encode(), PURPOSE_PIN),
    )
    assert reveal_pin(pickup, actor="system") == pin
    assert collect_pickup(pickup, actor="system", now=T0) == data


def test_a_new_blob_cannot_be_relabelled_as_a_legacy_one(two_pickups):
    """Flipping the version byte does not strip the row binding."""
    _, bob_pickup = two_pickups
    sealed = bytes(bob_pickup.sealed_pin)
    assert sealed[:1] == b"\x02"
    with pytest.raises(SealError):
        sealing.unseal(b"\x01" + sealed[1:], purpose=PURPOSE_PIN, bound_to="pickup:1")
