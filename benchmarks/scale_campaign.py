"""A switchover campaign over the generated site (benchmarks.scale_data): every valid
certificate of "Scale CA G1" and "Scale CA G2" moves to a new "Scale CA G3".

Run by bench_scale after the pages (its database is a copy, so the campaign's writes are
thrown away with it). Prints plan, start (pre-flight, new CA issuing, members fixed) and
status (the four categories, the first page of stragglers, the CSV export), each against the
60 s target; the invitations (the start's background task) by their rate over the first
10,000 e-mails. The CRLs the pre-flight wants
fresh are published first, untimed (their time is the CRL benchmark's).
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

TARGET_S = 60.0
INVITE_SAMPLE = 10_000


def _timed(label: str, fn: Any) -> Any:
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    verdict = "ok" if seconds < TARGET_S else "OVER TARGET"
    print(f"  {label:<52} {seconds:8.2f} s  ({verdict}, target < {TARGET_S:.0f} s)", flush=True)
    return result


def measure() -> None:
    from benchmarks.httpload import setup_django

    setup_django()
    from jitsuin.authorities.models import Authority
    from jitsuin.authorities.publishing.crl import publish_crl
    from jitsuin.authorities.services import create_intermediate
    from jitsuin.campaigns import mailing, members, queries, services
    from jitsuin.campaigns.export import csv_rows
    from jitsuin.campaigns.models import CampaignTask
    from jitsuin.lifecycle.models import Certificate
    from jitsuin.notify.models import OutboxMessage
    from jitsuin.pki.clock import FixedClock

    now = datetime.now(UTC).replace(microsecond=0)
    cutoff, deadline = now - timedelta(hours=1), now + timedelta(days=90)
    create_intermediate("Scale CA G3", clock=FixedClock(cutoff - timedelta(days=7)))
    print(
        f"campaign over {Certificate.objects.count():,} certificates"
        f" (G1, G2 -> G3), CRLs published first ...",
        flush=True,
    )
    started = time.perf_counter()
    for authority in Authority.objects.all():
        publish_crl(authority, now=cutoff - timedelta(minutes=5))
    print(f"  CRLs published in {time.perf_counter() - started:.1f} s (untimed)", flush=True)
    campaign = services.create_campaign(
        "scale",
        old=["Scale CA G1", "Scale CA G2"],
        new="Scale CA G3",
        cutoff=cutoff,
        deadline=deadline,
        actor="bench",
        now=cutoff - timedelta(days=7),
    )
    plan = _timed("plan (dry run)", lambda: queries.plan(campaign, now=now))
    print(f"    {plan.certificates:,} affected certificates, {plan.people:,} people")
    campaign = _timed(
        "start (pre-flight, new CA issuing, members fixed)",
        lambda: services.start(campaign, actor="bench", now=now),
    )
    # The invitations are the start's background task (tasks.send_chunk, CHUNK people each):
    # its rate over the first INVITE_SAMPLE e-mails, extrapolated to every member.
    task = CampaignTask.objects.get(campaign=campaign, kind=mailing.INVITE)
    started, cursor = time.perf_counter(), task.cursor
    for _ in range(INVITE_SAMPLE // mailing.CHUNK):
        cursor = mailing.send_chunk(task.pk, cursor, now=now)
        if cursor is None:
            break
    sent = OutboxMessage.objects.filter(event="campaign_invite").count()
    rate = sent / (time.perf_counter() - started)
    everyone = task.total / rate
    print(
        f"  start: invitations into the outbox (background)  {rate:8.0f} e-mails/s:"
        f" {everyone:.0f} s for all {task.total:,} ({'ok' if everyone < TARGET_S else 'OVER'})",
        flush=True,
    )
    later = now + timedelta(days=10)
    progress = _timed("status (four categories)", lambda: queries.progress(campaign, now=later))
    print(
        f"    migrated {progress.migrated:,} / in progress {progress.in_progress:,} /"
        f" stuck {progress.stuck:,} / not started {progress.not_started:,}"
    )
    _timed(
        "status: first 50 stragglers",
        lambda: list(members.member_rows(campaign, now=later, limit=50)),
    )

    def export() -> int:
        buffer = io.StringIO()
        for row in csv_rows(campaign, now=later):
            buffer.write(",".join(row) + "\n")
        return buffer.tell()

    size = _timed("status: CSV export of every straggler", export)
    print(f"    {size / 1e6:.1f} MB of CSV")
