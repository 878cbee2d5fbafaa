"""Key generation one step ahead: a daemon thread keeps a few fresh keys per key type ready.

RSA key generation dominates issuance, and pyca/cryptography releases the GIL while it
runs, so a worker can make the next key on one thread while it records the previous
certificate on another. The pool's thread is the only one generating keys of its type:
a worker waits for the next key rather than generating a second one in parallel, so a
worker uses one core for keys, like the raw rate it is compared with in the benchmark.
Keys live only in this process's memory, are handed out once and never stored.
``JITSUIN_KEY_POOL`` sets how many keys per type are kept ready (``0`` turns it off);
``recommended_size`` says how many a peak needs (docs/configuration.md).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time

from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key

logger = logging.getLogger("jitsuin.keypool")
# Far longer than one key takes (RSA-4096 ~1 s); only a dead pool thread waits this long.
WAIT_FOR_POOL = 10.0


class KeyPool:
    def __init__(self, size: int) -> None:
        self.size = size
        self._queues: dict[str, queue.Queue[PrivateKey]] = {}
        self._lock = threading.Lock()
        self._generating: dict[str, bool] = {}
        # Keys made, and the CPU seconds spent making them, per type (for the benchmark).
        self.generated: dict[str, int] = {}
        self.cpu: dict[str, float] = {}
        self._count = threading.Lock()

    def _generate(self, spec: KeySpec) -> PrivateKey:
        started = time.thread_time()
        key = generate_private_key(spec)
        spent = time.thread_time() - started
        with self._count:
            name = str(spec)
            self.generated[name] = self.generated.get(name, 0) + 1
            self.cpu[name] = self.cpu.get(name, 0.0) + spent
        return key

    def _fill(self, spec: KeySpec, keys: queue.Queue[PrivateKey]) -> None:
        name = str(spec)
        while True:
            try:
                self._generating[name] = True
                key = self._generate(spec)
                self._generating[name] = False
                keys.put(key)  # blocks while the pool is full
            except Exception:  # keep serving: callers fall back to their own keys
                self._generating[name] = False
                logger.exception("key pool for %s stopped", spec)
                return

    def _idle(self, spec: KeySpec, keys: queue.Queue[PrivateKey]) -> tuple[bool, int]:
        name = str(spec)
        return keys.full() and not self._generating.get(name, True), self.generated.get(name, 0)

    def wait_full(self, spec: KeySpec, timeout: float = 60.0) -> bool:
        """Wait until the pool for ``spec`` is full and its thread idle (blocked with one
        more key in hand); starts the pool if needed. For benchmarks: between two such
        moments the pool made exactly as many keys as were taken."""
        if self.size <= 0:
            return True
        keys = self._queue_for(spec)
        deadline = time.monotonic() + timeout
        before = self._idle(spec, keys)
        while time.monotonic() < deadline:
            time.sleep(0.005)
            # Twice in a row, with no key made in between: not just between two puts.
            now = self._idle(spec, keys)
            if now[0] and now == before:
                return True
            before = now
        return False

    def _queue_for(self, spec: KeySpec) -> queue.Queue[PrivateKey]:
        name = str(spec)
        with self._lock:
            keys = self._queues.get(name)
            if keys is None:
                keys = queue.Queue(maxsize=self.size)
                self._queues[name] = keys
                threading.Thread(
                    target=self._fill, args=(spec, keys), name=f"keypool-{name}", daemon=True
                ).start()
            return keys

    def take(self, spec: KeySpec) -> PrivateKey:
        """A fresh key never handed out before, from the pool (waiting for the next one if
        needed); generated here only if the pool's thread has stopped."""
        if self.size <= 0:
            return self._generate(spec)
        try:
            return self._queue_for(spec).get(timeout=WAIT_FOR_POOL)
        except queue.Empty:
            return self._generate(spec)


def recommended_size(
    arrivals_per_hour: float, key_seconds: float, workers: int, *, miss: float = 0.001
) -> int:
    """Keys per type each worker should keep ready for a peak of ``arrivals_per_hour``
    server-made keys (Poisson), spread over ``workers``, when one key takes ``key_seconds``
    on a pool's thread: the smallest size at which a request finds its worker's pool empty
    with a probability below ``miss``.

    A worker's pool is a buffer of ``size`` keys plus the one its thread holds, in front of
    one generating thread: with the load ``rho`` = (arrivals per second per worker) x
    ``key_seconds``, it is empty about ``rho ** (size + 1)`` of the time (an M/M/1 queue of
    keys owed). With ``rho`` >= 1 no pool keeps up: the peak needs more workers (or cores),
    or a cheaper key type; ValueError says so.
    """
    if arrivals_per_hour <= 0 or key_seconds <= 0 or workers < 1 or not 0 < miss < 1:
        raise ValueError("arrivals, key time and workers must be positive, miss in (0, 1)")
    rho = arrivals_per_hour / 3600 / workers * key_seconds
    if rho >= 1:
        raise ValueError(
            f"{workers} worker(s) make at most {3600 * workers / key_seconds:,.0f} keys an hour"
            f" at {key_seconds:.3f} s each; a peak of {arrivals_per_hour:,.0f} needs more"
        )
    return max(1, math.ceil(math.log(miss) / math.log(rho)) - 1)


_pools: dict[int, KeyPool] = {}
_pools_lock = threading.Lock()


def pool(size: int) -> KeyPool:
    """The process-wide pool of ``size`` keys per type."""
    with _pools_lock:
        if size not in _pools:
            _pools[size] = KeyPool(size)
        return _pools[size]
