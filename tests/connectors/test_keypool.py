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
