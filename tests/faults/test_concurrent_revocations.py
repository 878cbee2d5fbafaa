"""200 revocations worked by 2 workers at once on PostgreSQL: no deadlock, all done."""

from __future__ import annotations

import pytest

from tests.faults.conftest import QUEUE_ISSUES, QUEUE_REVOKES, counts, make_site

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_200_concurrent_revocations_finish_without_a_deadlock(pg_cluster, tmp_path):
    site = make_site(tmp_path, pg_cluster.url, JITSUIN_CRL_DEBOUNCE="0s")
    site.run("migrate", "-v", "0")
    site.run("ca", "init")
    site.python(QUEUE_ISSUES.format(n=200, prefix="rv"))
    issuers = [site.start("worker", "--batch", name=f"issue{i}") for i in range(2)]
    for proc in issuers:
        assert proc.wait(timeout=240) == 0, site.log(proc)[-2000:]
    assert counts(site)["certificates"] == 200
    site.python(QUEUE_REVOKES.format(prefix="rv"))
    # Two batch workers: each runs until no workable request is left (item 8), publishing
    # CRLs (debounce 0) while the other revokes: the lock-order case that deadlocked.
    revokers = [site.start("worker", "--batch", name=f"revoke{i}") for i in range(2)]
    for proc in revokers:
        assert proc.wait(timeout=240) == 0, site.log(proc)[-2000:]
    final = counts(site)
    logs = (
        "".join(site.log(p) for p in [*issuers, *revokers]) + (pg_cluster.dir / "log").read_text()
    )
    assert "deadlock detected" not in logs
    assert not [t for t in final["failed_tasks"] if "deadlock" in t]
    assert final["revoked"] == 200
    assert final["states"] == {"ready": 200, "done": 200}
    assert "batch done, no workable request left" in site.log(revokers[0])
