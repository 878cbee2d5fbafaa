"""The key pool hands out fresh keys once each, from one generating thread."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from jitsuin.connectors.keypool import KeyPool, recommended_size
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


def test_the_real_campaign_peak_needs_no_more_than_todays_pool():
    # 10,000 RSA-2048 keys an hour over two workers, ~60 ms a key: each pool is ~8 % busy.
    assert recommended_size(10_000, 0.06, 2) == 2


@pytest.mark.parametrize(
    ("per_hour", "key_seconds", "workers"),
    [(10_000, 0.06, 2), (20_000, 0.12, 2), (60_000, 0.06, 2), (50_000, 0.2, 4), (100, 0.001, 1)],
)
def test_the_recommended_size_is_the_smallest_that_misses_rarely_enough(
    per_hour, key_seconds, workers
):
    size = recommended_size(per_hour, key_seconds, workers, miss=0.001)
    rho = per_hour / 3600 / workers * key_seconds
    assert rho ** (size + 1) <= 0.001  # a pool of `size` plus the key in hand
    assert size == 1 or rho**size > 0.001  # one fewer would miss too often


def test_a_faster_peak_or_slower_keys_need_a_larger_pool():
    assert recommended_size(20_000, 0.06, 2) < recommended_size(40_000, 0.06, 2)
    assert recommended_size(20_000, 0.06, 2) < recommended_size(20_000, 0.12, 2)
    assert recommended_size(20_000, 0.06, 4) <= recommended_size(20_000, 0.06, 2)


def test_a_peak_beyond_what_the_workers_can_make_is_refused():
    # Two workers make at most 2 x 3600 / 0.06 = 120,000 keys an hour: no pool size helps.
    with pytest.raises(ValueError, match="120,000 keys an hour"):
        recommended_size(150_000, 0.06, 2)
    with pytest.raises(ValueError, match="positive"):
        recommended_size(10_000, 0.06, 0)
