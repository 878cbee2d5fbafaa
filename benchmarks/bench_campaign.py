"""A switchover campaign at university scale: 100,000 affected certificates on PostgreSQL.

    python -m benchmarks campaign      # (or `make bench`) on a throwaway database

`python -m benchmarks` makes a throwaway database for it on BENCH_POSTGRES
(postgres://postgres@127.0.0.1:5432) and drops it afterwards; with no PostgreSQL answering
there it says so and skips the benchmark.

Prints the time to plan (dry run), to start (new CA issuing, members fixed, then every
invitation in the e-mail outbox) and to compute the status (the four categories, then the
first page of stragglers and the full CSV export). Target: each under 60 s.

Signing 100,000 certificates would take most of the run and teaches nothing about the
campaign, so a few hundred real ones are signed by the old intermediate and their DER is
reused for the rest with distinct serials and fingerprints: the campaign reads only the rows.
Run on its own (``python -c "from benchmarks.bench_campaign import main; main()"``), it takes
DATABASE_URL, which must name a dedicated database (its name contains "bench"): it is flushed.
Scale with JITSUIN_BENCH_SCALE (0.1 = 10,000 certificates).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

SCALE = float(os.environ.get("JITSUIN_BENCH_SCALE", "1"))
PEOPLE = int(100_000 * SCALE)
REAL = 300
MIGRATED_SHARE = 0.3
SEEN_SHARE = 0.4
TARGET_S = 60.0

BORN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ISSUED = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
CUTOFF = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
DURING = datetime(2026, 5, 11, 3, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)


def _ensure_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _timed(label: str, fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    verdict = "ok" if seconds < TARGET_S else "OVER TARGET"
    print(f"{label:<48} {seconds:8.2f} s  ({verdict}, target < {TARGET_S:.0f} s)", flush=True)
    return result, seconds


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres:", "postgresql:")):
        print("campaign benchmark skipped: set DATABASE_URL to a PostgreSQL database, e.g.")
        print("  DATABASE_URL=postgres://postgres@127.0.0.1:5432/jitsuin_campaigns_bench")
        return
    if "bench" not in urlparse(url).path:
        print("campaign benchmark skipped: the database name must contain 'bench' (it is flushed)")
        return
    os.environ.setdefault("JITSUIN_DATA_DIR", tempfile.mkdtemp(prefix="jitsuin-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
    _ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    _run()


def _run() -> None:
    from cryptography.hazmat.primitives import serialization

    from jitsuin.authorities.publishing.crl import publish_crl
    from jitsuin.authorities.services import create_intermediate, init_hierarchy
    from jitsuin.campaigns import mailing, members, queries, services
    from jitsuin.campaigns.export import csv_rows
    from jitsuin.lifecycle.models import Certificate, Person, Profile, Request, RequestState
    from jitsuin.notify.models import OutboxMessage
    from jitsuin.pki.clock import FixedClock
    from jitsuin.pki.names import Serial, new_serial
    from tests.campaigns.factories import real_certificate

    print(
        f"building {PEOPLE:,} people with a certificate from the old intermediate ...", flush=True
    )
    started = time.perf_counter()
    hierarchy = init_hierarchy(
        root_name="Bench Root", intermediate_name="Bench CA G1", clock=FixedClock(BORN)
    )
    old = hierarchy.intermediate
    new = create_intermediate("Bench CA G2", clock=FixedClock(CUTOFF - timedelta(days=30)))
    profiles = [
        Profile.objects.create(
            slug=f"bench-{policy}",
            name_ja=policy,
            name_en=policy,
            rollover_policy=policy,
            validity_days=365,
            key_spec="p256",
        )
        for policy in ("overlap", "issue-while-revoking", "revoke-first")
    ]
    Person.objects.bulk_create(
        (
            Person(
                uid=f"b{i:07d}",
                email=f"b{i:07d}@example.ac.jp",
                name_ja=f"利用者 {i}",
                name_en=f"User {i}",
                language="en" if i % 5 == 0 else "ja",
            )
            for i in range(PEOPLE)
        ),
        batch_size=10_000,
    )
    people = list(Person.objects.order_by("pk").values_list("pk", "uid", "email"))
    first = Person.objects.filter(pk__in=[p[0] for p in people[:REAL]])
    samples = [
        real_certificate(person, old, profiles[i % 3], at=ISSUED).certificate
        for i, person in enumerate(first)
    ]
    signed_s = time.perf_counter() - started

    def rows(issuer, start: int, stop: int, at_share: float):  # type: ignore[no-untyped-def]
        for index in range(start, stop):
            pk, uid, email = people[index]
            sample = samples[index % len(samples)]
            serial = Serial(new_serial()).db
            yield Certificate(
                issuer=issuer,
                person_id=pk,
                profile=profiles[index % 3],
                serial=serial,
                subject=f"CN=User {index},UID={uid}",
                email=email,
                not_before=sample.not_valid_before_utc,
                not_after=sample.not_valid_after_utc,
                fingerprint_sha256=hashlib.sha256(f"{issuer.pk}:{serial}".encode()).hexdigest(),
                der=sample.public_bytes(serialization.Encoding.DER),
                last_seen_at=DURING - timedelta(days=3) if index % 10 < at_share * 10 else None,
            )

    Certificate.objects.bulk_create(rows(old, REAL, PEOPLE, SEEN_SHARE), batch_size=5_000)
    for authority in (hierarchy.root, old, new):
        publish_crl(authority, now=CUTOFF - timedelta(hours=1))
    print(
        f"  built in {time.perf_counter() - started:.1f} s ({len(samples)} signed in "
        f"{signed_s:.1f} s, the rest reuse their DER)",
        flush=True,
    )

    campaign = services.create_campaign(
        "bench",
        old=[old.name],
        new=new.name,
        cutoff=CUTOFF,
        deadline=DEADLINE,
        actor="bench",
        now=CUTOFF - timedelta(days=7),
    )
    plan, _ = _timed(
        f"plan (dry run, {PEOPLE:,} certificates)", lambda: queries.plan(campaign, now=CUTOFF)
    )
    print(
        f"  {plan.certificates:,} certificates, {plan.people:,} people, {plan.seen_people:,} seen"
    )

    campaign, start_s = _timed(
        "start (pre-flight, new CA issuing, members fixed)",
        lambda: services.start(campaign, actor="bench", now=CUTOFF),
    )
    _, invite_s = _timed(
        "start: invitations into the outbox",
        lambda: mailing.send_invitations(campaign, now=CUTOFF),
    )
    outbox = OutboxMessage.objects.filter(event="campaign_invite").count()
    total = start_s + invite_s
    print(
        f"start total (outbox filled with {outbox:,} e-mails)".ljust(48)
        + f" {total:8.2f} s  ({'ok' if total < TARGET_S else 'OVER TARGET'})"
    )

    migrated = int(PEOPLE * MIGRATED_SHARE)
    Certificate.objects.bulk_create(rows(new, 0, migrated, 0.0), batch_size=5_000)
    # 10 % waiting for their download, 2 % failed, 2 % queued for ten days (stuck).
    shares = [
        (0.10, RequestState.READY, timedelta(days=1)),
        (0.02, RequestState.FAILED, timedelta(hours=3)),
        (0.02, RequestState.QUEUED, timedelta(days=10)),
    ]
    requests, index = [], migrated
    for share, state, age in shares:
        for _ in range(int(PEOPLE * share)):
            pk, uid, _email = people[index]
            requests.append(
                Request(
                    kind="issue",
                    person_id=pk,
                    profile=profiles[index % 3],
                    state=state,
                    state_changed_at=DURING - age,
                    created_at=DURING - age,
                    requested_by=f"user:{uid}",
                    idempotency_key=f"bench-{pk}",
                )
            )
            index += 1
    Request.objects.bulk_create(requests, batch_size=5_000)
    progress, _ = _timed(
        "status (four categories over all members)",
        lambda: queries.progress(campaign, now=DURING),
    )
    print(
        f"  migrated {progress.migrated:,} / in progress {progress.in_progress:,} / "
        f"stuck {progress.stuck:,} / not started {progress.not_started:,}"
    )
    _timed(
        "status: first 50 stragglers by last sighting",
        lambda: list(members.member_rows(campaign, now=DURING, limit=50)),
    )

    def export() -> int:
        buffer = io.StringIO()
        for row in csv_rows(campaign, now=DURING):
            buffer.write(",".join(row) + "\n")
        return buffer.tell()

    size, _ = _timed("status: CSV export of every straggler", export)
    print(f"  {size / 1e6:.1f} MB of CSV")

    reminder, _ = _timed(
        "reminder round (14 days before) into the outbox",
        lambda: mailing.send_reminders(campaign, now=DEADLINE - timedelta(days=14)),
    )
    print(f"  {reminder.recipients:,} reminders (everyone not migrated)")


if __name__ == "__main__":
    main()
