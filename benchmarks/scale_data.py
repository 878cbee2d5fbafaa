"""A university at institution scale in PostgreSQL, loaded by COPY (issue 15).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jitsuin_scale \\
        .venv/bin/python -m benchmarks.scale_data --people 300000 --certificates 1000000 \\
        --transitions 2000000
    ... -m benchmarks.scale_data --scale 0.01      # 3,000 people, 10,000 certificates

The database must be PostgreSQL, migrated or empty (it is migrated), and hold no people yet.
A real root and two real intermediates are made by the CA services ("Scale CA G1", the old
one, and "Scale CA G2", issuing since ``SWITCH_DAYS`` ago); a handful of real certificates
is signed by each through the pki core, and every certificate row carries the DER of one of
them: the row's serial, subject, e-mail, dates, status and fingerprint are its own (unique
where an index or a search cares), the DER's are the template's. Nothing here reads the DER.

Each person has 0-6 certificates over the last years (one after the other, the older ones
superseded and mostly revoked, some people gone with only expired ones); every certificate
made since the site started has its issue request (and its revocation a revoke request),
with the transitions the pipeline writes; the site's start is chosen so that the
transitions number exactly ``--transitions``. About one person in 3,000 has an open request
(queued, waiting or failed, up to 25 days old): the stuck queue. Audit events, pickups and
e-mails are not generated.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.bulk_load import copy_rows, indexes_built_after
from benchmarks.scale_people import SWITCH_DAYS, Life, counts_per_person, life, transitions_of

PEOPLE, CERTIFICATES, TRANSITIONS = 300_000, 1_000_000, 2_000_000
VALIDITY = timedelta(days=730)
TEMPLATES_PER_CA = 4
LOADED = ("lifecycle_person", "lifecycle_certificate", "lifecycle_request",
          "lifecycle_requesttransition")  # fmt: skip


@dataclass
class Site:
    """What the generator made beyond the counted rows: its CAs, profile and templates."""

    issuers: list[int]
    profile: int
    templates: list[list[bytes]]


def _site(now: datetime) -> Site:
    """A real hierarchy (root, G1, G2 issuing) and real certificates signed by each."""
    from cryptography.hazmat.primitives import serialization

    from jitsuin.authorities.services import (
        activate,
        create_intermediate,
        init_hierarchy,
        public_urls,
        signer_for,
    )
    from jitsuin.lifecycle.models import Profile
    from jitsuin.pki.clock import FixedClock
    from jitsuin.pki.issuance import issue_certificate
    from jitsuin.pki.keys import KeySpec, generate_private_key
    from jitsuin.pki.names import person_subject
    from jitsuin.pki.profiles import end_entity_profile

    born = now - timedelta(days=6 * 365)
    old = init_hierarchy(
        root_name="Scale Root", intermediate_name="Scale CA G1", clock=FixedClock(born)
    ).intermediate
    switch = now - timedelta(days=SWITCH_DAYS)
    create_intermediate("Scale CA G2", clock=FixedClock(switch - timedelta(days=7)))
    new = activate("Scale CA G2", clock=FixedClock(switch))
    profile = Profile.objects.get(is_default=True)
    templates = []
    for authority, at in ((old, switch - timedelta(days=400)), (new, now - timedelta(days=30))):
        signed = []
        for n in range(TEMPLATES_PER_CA):
            key = generate_private_key(KeySpec.parse("p256"))
            certificate = issue_certificate(
                profile=end_entity_profile(profile.template, profile.validity),
                subject=person_subject(common_name=f"Template {n}", uid=f"template{n}"),
                public_key=key.public_key(),
                signer=signer_for(authority),
                clock=FixedClock(at),
                urls=public_urls(),
                email=f"template{n}@example.ac.jp",
            )
            signed.append(certificate.public_bytes(serialization.Encoding.DER))
        templates.append(signed)
    return Site([old.pk, new.pk], profile.pk, templates)


@dataclass
class Generated:
    people: int
    certificates: int
    requests: int
    transitions: int
    seconds: float
    first_person: int  # ids are first_person .. first_person + people - 1


def generate(
    people: int = PEOPLE,
    certificates: int = CERTIFICATES,
    transitions: int = TRANSITIONS,
    *,
    seed: int = 15,
    now: datetime | None = None,
) -> Generated:
    """Fill the (migrated, person-less) PostgreSQL database of this Django site."""
    from django.db import connection

    from jitsuin.lifecycle.models import Person

    if connection.vendor != "postgresql":
        raise SystemExit("the scale data is loaded by COPY: PostgreSQL only")
    if Person.objects.exists():
        raise SystemExit("this database already has people: give an empty one")
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    site = _site(now)
    counts = counts_per_person(people, certificates, random.Random(seed))

    def lives() -> Iterator[tuple[int, Life]]:
        for index in range(people):
            yield index, life(index, counts[index], seed=seed, now=now)

    # Which requests exist: every open one, then the newest until the transitions are spent.
    stamps, lengths = array("d"), array("b")
    budget = transitions
    for _index, person in lives():
        if person.open_state:
            budget -= len(transitions_of("issue", False, person.open_state))
        for cert in person.certificates:
            stamps.append(cert.not_before.timestamp())
            lengths.append(len(transitions_of("issue", cert.csr, "done")))
            if cert.revoked_at:
                stamps.append(cert.revoked_at.timestamp())
                lengths.append(len(transitions_of("revoke", False, "done")))
    order = sorted(range(len(stamps)), key=stamps.__getitem__, reverse=True)
    site_start, cut = float("-inf"), 0  # cut: the transitions the boundary request keeps
    for i in order:
        if lengths[i] >= budget:
            site_start, cut = stamps[i], budget
            if cut <= 0:
                site_start = math.nextafter(site_start, math.inf)
            break
        budget -= lengths[i]
    del order, stamps, lengths

    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg 3's own, for COPY
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM lifecycle_person")
        first_person = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM lifecycle_certificate")
        first_cert = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM lifecycle_request")
        first_request = cursor.fetchone()[0] + 1
        with indexes_built_after(cursor, LOADED):
            made = _load(cursor, lives, site, now, site_start, cut, first_person, first_cert,
                         first_request)  # fmt: skip
        for table in LOADED:
            if table != "lifecycle_requesttransition":
                last = "SELECT MAX(id) FROM " + table  # noqa: S608 (our own table names)
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({last}))")
            cursor.execute(f"ANALYZE {table}")
    seconds = time.perf_counter() - started
    return Generated(people, certificates, made[0], made[1], seconds, first_person)


def _load(
    cursor: Any,
    lives: Callable[[], Iterator[tuple[int, Life]]],
    site: Site,
    now: datetime,
    site_start: float,
    cut: int,
    first_person: int,
    first_cert: int,
    first_request: int,
) -> tuple[int, int]:
    copy_rows(
        cursor,
        "lifecycle_person",
        [
            "id",
            "uid",
            "email",
            "name_ja",
            "name_en",
            "name_kana",
            "affiliation",
            "language",
            "active",
            "created_at",
        ],  # fmt: skip
        (
            (
                first_person + i,
                p.uid,
                p.email,
                *p.names,
                p.affiliation,
                p.language,
                p.active,
                now - timedelta(days=2000),
            )  # fmt: skip
            for i, p in lives()
        ),
    )

    def certificate_rows() -> Iterator[tuple[Any, ...]]:
        pk = first_cert
        for index, person in lives():
            ids = list(range(pk, pk + len(person.certificates)))
            for n, cert in enumerate(person.certificates):
                serial = f"{cert.serial:x}"
                seen = now - timedelta(hours=(cert.serial % 720)) if n == 0 else None
                yield (
                    ids[n], site.issuers[cert.issuer], first_person + index, site.profile,
                    serial, str(cert.serial), f"CN={person.names[1]},UID={person.uid}",
                    person.email, cert.not_before, cert.not_before + VALIDITY,
                    hashlib.sha256(serial.encode()).hexdigest(),
                    site.templates[cert.issuer][cert.serial % TEMPLATES_PER_CA],
                    cert.status, cert.revoked_at, cert.reason,
                    ids[n - 1] if n else None, seen, seen, cert.not_before,
                )  # fmt: skip
            pk += len(person.certificates)

    copy_rows(
        cursor,
        "lifecycle_certificate",
        [
            "id",
            "issuer_id",
            "person_id",
            "profile_id",
            "serial",
            "serial_decimal",
            "subject",
            "email",
            "not_before",
            "not_after",
            "fingerprint_sha256",
            "der",
            "status",
            "revoked_at",
            "revocation_reason",
            "superseded_by_id",
            "first_seen_at",
            "last_seen_at",
            "created_at",
        ],  # fmt: skip
        certificate_rows(),
    )
    moves: list[tuple[int, str, str, datetime, str]] = []

    def request_rows() -> Iterator[tuple[Any, ...]]:
        pk, cert_pk = first_request, first_cert
        for index, person in lives():
            person_pk = first_person + index
            wanted = []  # (kind, state, created, target, certificate, csr)
            if person.open_state:
                created = now - person.open_age
                target = cert_pk if person.certificates else None
                wanted.append(("issue", person.open_state, created, target, None, False))
            for n, cert in enumerate(person.certificates):
                older = cert_pk + n + 1 if n + 1 < len(person.certificates) else None
                if cert.not_before.timestamp() >= site_start:
                    wanted.append(("issue", "done", cert.not_before, older, cert_pk + n, cert.csr))
                if cert.revoked_at and cert.revoked_at.timestamp() >= site_start:
                    wanted.append(("revoke", "done", cert.revoked_at, cert_pk + n, None, False))
            cert_pk += len(person.certificates)
            for kind, state, created, target, certificate, csr in wanted:
                steps = transitions_of(kind, csr, state)
                final = steps[-1][1]
                if state == "done" and created.timestamp() == site_start:
                    steps = steps[:cut]  # the boundary request: its first `cut` moves
                for n, (before, after) in enumerate(steps):
                    at = created + timedelta(seconds=2 * n)
                    moves.append((pk, before, after, at, "system" if n else f"user:{person.uid}"))
                yield (
                    pk, kind, person_pk, site.profile, target, certificate, final,
                    created + timedelta(seconds=2 * (len(steps) - 1)), created,
                    f"user:{person.uid}", "superseded" if kind == "revoke" else "",
                    "", "", "builtin", "", len(steps) - 1 if state == "failed" else 1,
                    "upstream CA timed out" if state == "failed" else "",
                    "retry" if state == "waiting" else "", "", f"scale-{pk}", False,
                )  # fmt: skip
                pk += 1
            if len(moves) > 50_000:
                yield ("flush",)

    # Requests and their transitions are interleaved by flushing the transitions per batch.
    requests = transitions_made = 0
    started = time.perf_counter()
    pending: list[tuple[Any, ...]] = []

    def flush() -> None:
        nonlocal requests, transitions_made
        with cursor.copy(
            "COPY lifecycle_request (id, kind, person_id, profile_id, target_id, certificate_id,"
            " state, state_changed_at, created_at, requested_by, reason, pkcs12_compat, csr_pem,"
            " connector, connector_ref, attempts, last_error, wait_reason, lease_owner,"
            " idempotency_key, silent) FROM STDIN"
        ) as copy:
            for row in pending:
                copy.write_row(row)
        with cursor.copy(
            "COPY lifecycle_requesttransition (request_id, from_state, to_state, at, actor, note)"
            " FROM STDIN"
        ) as copy:
            for move in moves:
                copy.write_row((*move, ""))
        requests += len(pending)
        transitions_made += len(moves)
        pending.clear()
        moves.clear()

    for row in request_rows():
        if row == ("flush",):
            flush()
        else:
            pending.append(row)
    flush()
    seconds = time.perf_counter() - started
    print(
        f"  {'requests + transitions':<32} {requests + transitions_made:>10,} rows in"
        f" {seconds:6.1f} s  ({(requests + transitions_made) / seconds:,.0f} rows/s)"
    )
    return requests, transitions_made


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale_data",
        description="Fill the PostgreSQL database named by DATABASE_URL with people,"
        " certificates, requests and request transitions at institution scale (COPY).",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every default")
    parser.add_argument("--people", type=int, help=f"default {PEOPLE:,} x scale")
    parser.add_argument("--certificates", type=int, help=f"default {CERTIFICATES:,} x scale")
    parser.add_argument("--transitions", type=int, help=f"default {TRANSITIONS:,} x scale")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres:", "postgresql:")):
        parser.error("set DATABASE_URL to a PostgreSQL database (COPY is PostgreSQL's)")
    people = args.people or int(PEOPLE * args.scale)
    certificates = args.certificates or int(CERTIFICATES * args.scale)
    transitions = args.transitions or int(TRANSITIONS * args.scale)
    from benchmarks.httpload import setup_django

    setup_django()
    print(
        f"generating {people:,} people, {certificates:,} certificates, {transitions:,} transitions"
    )
    made = generate(people, certificates, transitions, seed=args.seed)
    print(
        f"done in {made.seconds:.1f} s: {made.people:,} people, {made.certificates:,} certificates,"
        f" {made.requests:,} requests, {made.transitions:,} transitions"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
