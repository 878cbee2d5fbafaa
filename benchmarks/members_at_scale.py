r"""A campaign's member lists at 1,000,000 members: the console's first 50 stragglers, the CSV
export of every straggler, the plan and the four categories.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME \
        python -m benchmarks.scale_data --scale 3.82
    DATABASE_URL=... python -m benchmarks.members_at_scale

``--scale 3.82`` makes 1,146,000 people, of whom 1,001,821 become members. The campaign
(G1 and G2 -> a new G3, as benchmarks.scale_campaign) is started once without the CRLs and
the pre-flight (publishing the first CRLs of 2,000,000 revoked certificates is not what is
measured here, and took longer than everything else); a second run reuses it. Read-only
after the start: run it again after a code change on the same database. Prints each figure
with the SHA-256 of what came out, so a change that alters a byte shows.
"""

from __future__ import annotations

import hashlib
import io
import time
from datetime import UTC, datetime, timedelta


def _timed(label: str, fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    print(f"  {label:<40} {time.perf_counter() - started:7.2f} s", flush=True)
    return result


def _campaign():  # type: ignore[no-untyped-def]
    from jitsuin.authorities.models import Authority
    from jitsuin.authorities.services import create_intermediate
    from jitsuin.campaigns import services
    from jitsuin.campaigns.models import Campaign
    from jitsuin.pki.clock import FixedClock

    existing = Campaign.objects.filter(name="scale", started_at__isnull=False).first()
    if existing:
        return existing
    now = datetime.now(UTC).replace(microsecond=0)
    cutoff = now - timedelta(hours=1)
    if not Authority.objects.filter(name="Scale CA G3").exists():
        create_intermediate("Scale CA G3", clock=FixedClock(cutoff - timedelta(days=7)))
    campaign = services.create_campaign(
        "scale",
        old=["Scale CA G1", "Scale CA G2"],
        new="Scale CA G3",
        cutoff=cutoff,
        deadline=now + timedelta(days=90),
        actor="bench",
        now=cutoff - timedelta(days=7),
    )
    return _timed(
        "start (no pre-flight)",
        lambda: services.start(campaign, actor="bench", now=now, require_preflight=False),
    )


def main() -> None:
    from benchmarks.httpload import setup_django

    setup_django()
    from jitsuin.campaigns import members, queries
    from jitsuin.campaigns.export import csv_rows

    campaign = _campaign()
    later = campaign.started_at + timedelta(days=10)
    print(f"campaign over {campaign.members.count():,} members", flush=True)
    _timed("plan (dry run)", lambda: queries.plan(campaign, now=later))
    _timed("status (four categories)", lambda: queries.progress(campaign, now=later))
    for _ in range(2):
        first = _timed(
            "status: first 50 stragglers",
            lambda: list(members.member_rows(campaign, now=later, limit=50)),
        )
    print(f"    sha256 {hashlib.sha256(repr(first).encode()).hexdigest()[:16]}")

    def export() -> str:
        buffer = io.StringIO()
        for row in csv_rows(campaign, now=later):
            buffer.write(",".join(row) + "\n")
        return buffer.getvalue()

    data = _timed("status: CSV export of every straggler", export).encode()
    print(f"    {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
