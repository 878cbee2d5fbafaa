"""The key pool hands out fresh keys once each, from one generating thread."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from jitsuin.connectors.keypool import KeyPool
from jitsuin.pki.keys import KeySpec


def test_keys_are_fresh_and_never_handed_out_twice():
    pool = KeyPool(2)
    spec = KeySpec.parse("p256")
    keys = [pool.take(spec) for _ in range(6)]
    assert all(isinstance(k, ec.EllipticCurvePrivateKey) for k in keys)
    numbers = {k.private_numbers().private_value for k in keys}
    assert len(numbers) == 6


def test_pool_off_generates_directly():
    pool = KeyPool(0)
    assert isinstance(pool.take(KeySpec.parse("p256")), ec.EllipticCurvePrivateKey)
    assert pool._queues == {}


def test_a_full_pool_is_idle_and_counts_every_key_it_made():
    # The benchmark relies on this: between two wait_full() moments the pool made exactly
    # as many keys as were taken, and says how much CPU they took.
    pool = KeyPool(2)
    spec = KeySpec.parse("p256")
    assert pool.wait_full(spec, timeout=30)
    made = pool.generated[str(spec)]
    assert made == 3  # two in the queue, one in hand
    for _ in range(5):
        pool.take(spec)
    assert pool.wait_full(spec, timeout=30)
    assert pool.generated[str(spec)] - made == 5
    assert pool.cpu[str(spec)] > 0


def test_keys_made_without_a_pool_are_counted_too():
    pool = KeyPool(0)
    spec = KeySpec.parse("p256")
    assert pool.wait_full(spec)
    pool.take(spec)
    assert pool.generated[str(spec)] == 1
