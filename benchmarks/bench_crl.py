"""A CA's CRL publication at 100k and 1M entries next to `openssl ca -gencrl`, same run.

    python -m benchmarks crl           (BENCH_CRL_SIZES=100000,1000000; BENCH_CRL_ROUNDS=3)

On PostgreSQL when one answers (benchmarks/__main__.py makes a throwaway database), else on
SQLite, saying so. The issuing CA of a fresh hierarchy (P-384, the default install) gets N
revoked certificates in its database, as revocations leave them: each row with its CRL entry
encoded by ``publishing.crl.crl_entry_der`` (what ``record_revocation`` stores), reasons
mixed, real certificate DER in every row (one real certificate's bytes reused: the CRL never
reads them). The rows are written by COPY (PostgreSQL) or bulk_create, then VACUUM ANALYZE,
as autovacuum leaves a table in steady state.

jitsuin: ``publish_crl`` as the worker runs it, timed whole: the database read of the stored
entries, the assembly, the signature, the INSERT of the CRL, the audit event. Its parts are
timed apart on the side (read, assemble and sign). The peer: `openssl ca -gencrl` with the
same CA key, the same entries in its index.txt, the same CRL extensions (CRL number, AKI);
it reads its text database, builds, signs and writes the CRL file. Ratio = jitsuin / openssl
(target <= 1.0x at 100k; 1M under 20 s). "before" is the previous way (read serial, date and
reason of each revocation, build with cryptography's CRL builder), at the first size only.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.httpload import setup_django

SIZES = [int(n) for n in os.environ.get("BENCH_CRL_SIZES", "100000,1000000").split(",")]
ROUNDS = int(os.environ.get("BENCH_CRL_ROUNDS", "3"))
REASONS = ["keyCompromise", "superseded", "cessationOfOperation", "affiliationChanged", ""]


def main() -> None:
    setup_django()
    from django.db import connection

    from jitsuin.authorities.services import init_hierarchy, signer_for

    hierarchy = init_hierarchy()
    ca = hierarchy.intermediate
    signer = signer_for(ca)
    print(
        f"CRL publication on {connection.vendor}, CA key {signer.private_key.curve.name}"  # type: ignore[union-attr]
        f" (reasons mixed; best of {ROUNDS} rounds, 1 above 200k entries):",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-crl-") as tmp:
        workdir = Path(tmp)
        _write_openssl_ca(workdir, signer)
        filled = 0
        for size in SIZES:
            started = time.perf_counter()
            _fill(ca, filled, size, workdir / "index.txt")
            filled = size
            print(f"  ({size:,} revoked rows ready in {time.perf_counter() - started:.0f} s)")
            _compare(ca, workdir, size, before=size == SIZES[0])


def _compare(ca, workdir: Path, size: int, *, before: bool) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from jitsuin.authorities.publishing.crl import publish_crl

    rounds = ROUNDS if size <= 200_000 else 1
    ours, theirs = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        row = publish_crl(ca, now=timezone.now())
        ours.append(time.perf_counter() - started)
        assert row.entries == size, row.entries
        theirs.append(_openssl_gencrl(workdir))
    best, peer = min(ours), min(theirs)
    verdict = "ok" if (best <= peer if size <= 200_000 else best < 20) else "OVER TARGET"
    print(
        f"  {size:>9,} entries: jitsuin publish_crl {best:6.2f} s (median"
        f" {statistics.median(ours):.2f}), openssl ca -gencrl {peer:6.2f} s,"
        f" ratio {best / peer:.2f}x ({verdict}; CRL {len(bytes(row.der)) / 1e6:.1f} MB)",
        flush=True,
    )
    _parts(ca, size)
    if before:
        _before(ca, peer)
    if size <= 200_000:
        _verify(workdir, bytes(row.der))


def _parts(ca, size: int) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from jitsuin.authorities.publishing.crl import crl_entries
    from jitsuin.authorities.services import signer_for
    from jitsuin.pki.clock import FixedClock
    from jitsuin.pki.crl import assemble_crl

    now = timezone.now()
    started = time.perf_counter()
    entries = crl_entries(ca, now)
    read = time.perf_counter() - started
    signer = signer_for(ca)
    started = time.perf_counter()
    assemble_crl(signer, entries, crl_number=1, clock=FixedClock(now))
    built = time.perf_counter() - started
    print(f"             of which: read {read:.2f} s, assemble and sign {built:.2f} s")


def _before(ca, peer: float) -> None:  # type: ignore[no-untyped-def]
    """The previous publication: every revocation's facts read, then cryptography's builder."""
    from django.utils import timezone

    from jitsuin.authorities.publishing.crl import reason_flag
    from jitsuin.authorities.services import signer_for
    from jitsuin.lifecycle.models import Certificate
    from jitsuin.pki.clock import FixedClock
    from jitsuin.pki.crl import RevokedEntry, build_crl
    from jitsuin.pki.names import Serial

    now = timezone.now()
    started = time.perf_counter()
    facts = [
        RevokedEntry(Serial.parse(serial).value, at, reason_flag(reason))
        for serial, at, reason in Certificate.objects.for_crl(ca, now=now)
        .values_list("serial", "revoked_at", "revocation_reason")
        .iterator(chunk_size=5000)
    ]
    build_crl(signer_for(ca), facts, crl_number=1, clock=FixedClock(now))
    seconds = time.perf_counter() - started
    ratio = seconds / peer
    print(f"             before (facts + CRL builder, no store): {seconds:.2f} s, {ratio:.2f}x")


def _fill(ca, start: int, stop: int, index: Path) -> None:  # type: ignore[no-untyped-def]
    """Revoked rows ``start`` .. ``stop`` of ``ca``, and the same lines in openssl's index."""
    from cryptography.hazmat.primitives import serialization
    from django.db import connection
    from django.utils import timezone

    from jitsuin.authorities.publishing.crl import crl_entry_der
    from jitsuin.lifecycle.models import Certificate, Person, Profile
    from jitsuin.lifecycle.querysets import serial_decimal
    from jitsuin.pki.names import Serial, new_serial
    from tests.revocation.factories import issue

    sample = issue(ca).certificate  # one real certificate; its bytes fill every row
    der = sample.public_bytes(serialization.Encoding.DER)
    person = Person.objects.get_or_create(uid="bench-crl", defaults={"email": "b@example.ac.jp"})[0]
    profile = Profile.objects.get(slug="client")
    now = timezone.now()
    not_after = now + timedelta(days=365)
    expiry = not_after.strftime("%y%m%d%H%M%SZ")
    columns = [
        "issuer_id", "person_id", "profile_id", "serial", "subject", "email", "not_before",
        "not_after", "fingerprint_sha256", "der", "status", "revoked_at", "revocation_reason",
        "crl_entry", "created_at", "serial_decimal",
    ]  # fmt: skip
    lines = []

    def rows():  # type: ignore[no-untyped-def]
        for i in range(start, stop):
            serial = Serial(new_serial())
            at = now - timedelta(days=30, seconds=i)
            reason = REASONS[i % len(REASONS)]
            stamp = at.strftime("%y%m%d%H%M%SZ") + (f",{reason}" if reason else "")
            lines.append(f"R\t{expiry}\t{stamp}\t{serial.hex}\tunknown\t/CN=u{i}\n")
            yield (
                ca.pk, person.pk, profile.pk, serial.db, f"CN=u{i}", "", now - timedelta(days=60),
                not_after, hashlib.sha256(serial.db.encode()).hexdigest(), der, "revoked", at,
                reason or "unspecified", crl_entry_der(serial.db, at, reason or "unspecified"), now,
                serial_decimal(serial.db),
            )  # fmt: skip

    table = Certificate._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows():
                    copy.write_row(row)
            cursor.execute(f"VACUUM ANALYZE {table}")
    else:
        names = [c.removesuffix("_id") if c.endswith("_id") else c for c in columns]
        fields = [Certificate._meta.get_field(n).attname for n in names]
        batch = []
        for row in rows():
            batch.append(Certificate(**dict(zip(fields, row, strict=True))))
            if len(batch) == 10_000:
                Certificate.objects.bulk_create(batch)
                batch = []
        Certificate.objects.bulk_create(batch)
    with index.open("a") as out:
        out.writelines(lines)


def _write_openssl_ca(workdir: Path, signer) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    (workdir / "ca.crt").write_bytes(signer.certificate.public_bytes(serialization.Encoding.PEM))
    (workdir / "ca.key").write_bytes(
        signer.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (workdir / "index.txt").write_text("")
    (workdir / "ca.cnf").write_text(
        f"[ca]\ndefault_ca=c\n[c]\ndatabase={workdir}/index.txt\ncrlnumber={workdir}/crlnumber\n"
        f"certificate={workdir}/ca.crt\nprivate_key={workdir}/ca.key\ndefault_md=sha384\n"
        "default_crl_days=7\nunique_subject=no\ncrl_extensions=crl_ext\n"
        "[crl_ext]\nauthorityKeyIdentifier=keyid\n"
    )


def _openssl_gencrl(workdir: Path) -> float:
    (workdir / "crlnumber").write_text("01\n")
    started = time.perf_counter()
    done = subprocess.run(
        ["openssl", "ca", "-config", workdir / "ca.cnf", "-gencrl", "-out", workdir / "crl.pem"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError("openssl ca -gencrl failed: " + done.stderr[-2000:])
    return time.perf_counter() - started


def _verify(workdir: Path, der: bytes) -> None:
    """The published CRL as a relying party takes it: openssl verifies its signature."""
    (workdir / "published.crl").write_bytes(der)
    done = subprocess.run(
        [
            "openssl",
            "crl",
            "-inform",
            "DER",
            "-in",
            workdir / "published.crl",
            "-noout",
            "-verify",
            "-CAfile",
            workdir / "ca.crt",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode or "verify OK" not in done.stderr:
        raise RuntimeError("openssl crl -verify refused the published CRL: " + done.stderr)
    print("             openssl crl -verify: verify OK")


if __name__ == "__main__":
    main()
