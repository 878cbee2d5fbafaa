"""Issue 11, item 7: concurrent first downloads of the modern PKCS#12 build it once.

Before, each of 50 simultaneous first downloads ran its own 600,000 PBKDF2 rounds before taking
the row lock (16 s of CPU). Now the first builds it (under the row lock on PostgreSQL, in a
per-pickup single flight on SQLite) and the others wait and return the stored bytes.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from jitsuin.lifecycle import pickups
from jitsuin.lifecycle.models import Pickup
from jitsuin.lifecycle.services import collect_pickup, request_issue
from tests.lifecycle.conftest import key, run_pipeline

DOWNLOADS = 6


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_downloads_build_the_modern_file_once(profile, alice, t0, monkeypatch):  # type: ignore[no-untyped-def]
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    pickup = Pickup.objects.get(request=request)
    builds: list[int] = []
    build = pickups._modern_from

    def counted(row: Pickup) -> bytes:
        builds.append(row.pk)
        return build(row)

    monkeypatch.setattr(pickups, "_modern_from", counted)
    start = threading.Barrier(DOWNLOADS)
    results: list[bytes] = []
    errors: list[BaseException] = []

    def download() -> None:
        try:
            start.wait()
            results.append(
                collect_pickup(pickup, actor="user:alice", pkcs12_profile="modern", now=t0)
            )
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=download) for _ in range(DOWNLOADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == DOWNLOADS and len(set(results)) == 1  # identical bytes for everyone
    assert builds == [pickup.pk]  # one PBKDF2 build, not one per download
    pickup.refresh_from_db()
    assert pickup.download_count == DOWNLOADS
