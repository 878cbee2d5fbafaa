"""OCSP serving and CRL signing, next to OpenSSL on the same machine in the same run.

OCSP (requests/s and p99, one load client for every server, no probing connections because
`openssl ocsp` spins after a connection that sends nothing, openssl/openssl#31129):
  - jitsuin pre-signed responses under gunicorn (sync workers) and the embedded server;
  - jitsuin signing every response live (nonce requests) under granian and gunicorn, with
    kept-alive connections and with a new connection per request (as RADIUS servers ask);
  - `openssl ocsp -multi 2` signing every response with the same key type (P-256);
  - nginx serving jitsuin's pre-signed responses exported as RFC 5019 static files.
CRL: pki.build_crl for 10k and 100k entries against `openssl ca -gencrl` on the same entries,
with the same CA key type (P-384).

    python -m benchmarks ocsp          (BENCH_SECONDS=5, BENCH_CERTS=2000, BENCH_CLIENTS=2,
                                        BENCH_PARTS=crl,ocsp; BENCH_OCSP=granian,openssl for the
                                        issue-15 lines only)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.httpload import (
    CLIENTS,
    CONNECTIONS,
    SECONDS,
    granian_command,
    nginx_binary,
    nginx_config,
)
from benchmarks.httpload import free_port as _free_port
from benchmarks.httpload import get_request as _get
from benchmarks.httpload import post_request as _post
from benchmarks.httpload import run as _run
from benchmarks.httpload import setup_django as _setup_django

CERTS = int(os.environ.get("BENCH_CERTS", "2000"))
PARTS = os.environ.get("BENCH_PARTS", "crl,ocsp").split(",")  # which halves to run
# Which servers the OCSP half measures; "granian,openssl" gives issue 15's lines only.
SERVERS = os.environ.get("BENCH_OCSP", "granian,gunicorn,embedded,openssl,nginx").split(",")


# ---- fixtures: a hierarchy with CERTS pre-signed responses --------------------------------


def _make_certificates(count: int):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    from django.db import transaction
    from django.utils import timezone

    from jitsuin.authorities.publishing import ocsp_signing
    from jitsuin.authorities.services import init_hierarchy, public_urls, signer_for
    from jitsuin.lifecycle.models import Certificate, Person, Profile
    from jitsuin.pki.clock import FixedClock
    from jitsuin.pki.issuance import issue_certificate
    from jitsuin.pki.keys import KeySpec, generate_private_key
    from jitsuin.pki.loading import fingerprint_sha256
    from jitsuin.pki.names import person_subject
    from jitsuin.pki.profiles import CLIENT_AUTH

    hierarchy = init_hierarchy(clock=FixedClock(timezone.now() - timedelta(days=1)))
    signer = signer_for(hierarchy.intermediate)
    profile, _ = Profile.objects.get_or_create(
        slug="bench", defaults={"name_ja": "bench", "name_en": "bench", "key_spec": "p256"}
    )
    clock = FixedClock(timezone.now() - timedelta(hours=1))
    key = generate_private_key(KeySpec.parse("p256"))
    made = []
    with transaction.atomic():
        for n in range(count):
            uid = f"bench{n}"
            person = Person.objects.create(uid=uid, email=f"{uid}@example.ac.jp")
            certificate = issue_certificate(
                profile=CLIENT_AUTH,
                subject=person_subject(common_name=uid, uid=uid),
                public_key=key.public_key(),
                signer=signer,
                clock=clock,
                urls=public_urls(),
                email=f"{uid}@example.ac.jp",
            )
            row = Certificate.objects.create(
                issuer=hierarchy.intermediate,
                person=person,
                profile=profile,
                serial=f"{certificate.serial_number:x}",
                subject=certificate.subject.rfc4514_string(),
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
                fingerprint_sha256=fingerprint_sha256(certificate),
                der=certificate.public_bytes(serialization.Encoding.DER),
            )
            ocsp_signing.presign(hierarchy.intermediate, certificate.serial_number)
            made.append((row, certificate))
    return hierarchy, made


def _requests(issuer, certificates, *, nonce: bool):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    out = []
    for _, certificate in certificates:
        builder = ocsp.OCSPRequestBuilder().add_certificate(
            certificate,
            issuer,
            hashes.SHA1(),  # noqa: S303 (RFC 5019)
        )
        if nonce:
            builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
        out.append(builder.build().public_bytes(serialization.Encoding.DER))
    return out


# ---- servers ------------------------------------------------------------------------------


EMBEDDED = (
    "import django, sys; django.setup()\n"
    "from django.core.wsgi import get_wsgi_application\n"
    "from jitsuin.cli.server import build_server\n"
    "build_server('127.0.0.1', int(sys.argv[1]), get_wsgi_application()).serve_forever()\n"
)


def _line(label: str, result: dict[str, float]) -> None:
    print(
        f"  {label:<58} {result['rps']:>8.0f} req/s  p99 {result['p99_ms']:>6.1f} ms"
        + (f"  ({result['errors']:.0f} errors)" if result["errors"] else ""),
        flush=True,
    )


def bench_ocsp(workdir: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from jitsuin.authorities.keys import key_store
    from jitsuin.authorities.publishing import ocsp_export, ocsp_signing
    from jitsuin.authorities.services import certificate_of
    from jitsuin.pki.names import Serial

    print(
        f"OCSP: {CERTS} certificates, {CLIENTS} load processes x {CONNECTIONS} connections, "
        f"{SECONDS:.0f} s per run, {os.cpu_count()} cores",
        flush=True,
    )
    hierarchy, made = _make_certificates(CERTS)
    ca = certificate_of(hierarchy.intermediate)
    plain = _requests(ca, made, nonce=False)
    nonced = _requests(ca, made, nonce=True)
    env = dict(os.environ)
    python = sys.executable
    results: dict[str, dict[str, float]] = {}

    def gunicorn(port: int, kind: str) -> list[str]:
        workers = (
            ["-k", "gthread", "-w", "2", "--threads", "8"] if kind == "gthread" else ["-w", "4"]
        )
        return [
            str(Path(python).parent / "gunicorn"),
            *workers,
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
            "jitsuin.wsgi",
        ]

    def served(kind: str, bodies: list[bytes], *, keep_alive: bool = True, **extra_env: str):  # type: ignore[no-untyped-def]
        port = _free_port()
        posts = [_post("/ocsp", r, keep_alive=keep_alive) for r in bodies]
        return _run(gunicorn(port, kind), port, posts[0], posts, env=dict(env, **extra_env))

    # granian: a Rust HTTP server in front of the same WSGI application (jitsuin.wsgi).
    granian = granian_command(_free_port())

    def on_granian(
        label: str, key: str, bodies: list[bytes], *, keep_alive: bool = True, **extra_env: str
    ) -> None:
        port = _free_port()
        granian[granian.index("--port") + 1] = str(port)
        posts = [_post("/ocsp", r, keep_alive=keep_alive) for r in bodies]
        results[key] = _run(granian, port, posts[0], posts, env=dict(env, **extra_env))
        _line(label, results[key])

    if "granian" in SERVERS and Path(granian[0]).exists():
        on_granian("jitsuin pre-signed, granian 2 workers (WSGI)", "granian", plain)
        on_granian(
            "  same, a new connection per request (as OpenSSL clients do)",
            "granian-close",
            plain,
            keep_alive=False,
        )
        # Nonce requests (FreeRADIUS use_nonce = yes): every answer signed on the request.
        on_granian("jitsuin signing live (nonce), granian 2 workers", "granian-live", nonced)
        on_granian(
            "  same, a new connection per request (as RADIUS servers ask)",
            "granian-live-close",
            nonced,
            keep_alive=False,
        )
        on_granian(
            "  same, and JITSUIN_OCSP_CACHE_TTL=0 (the status read every time)",
            "granian-live-ttl0",
            nonced,
            keep_alive=False,
            JITSUIN_OCSP_CACHE_TTL="0",
        )

    if "gunicorn" in SERVERS:
        # threaded gunicorn keeps connections open
        results["gunicorn"] = served("gthread", plain)
        _line("jitsuin pre-signed, gunicorn 2 workers x 8 threads (gthread)", results["gunicorn"])
        results["gunicorn-close"] = served("gthread", plain, keep_alive=False)
        _line(
            "  same, a new connection per request (as OpenSSL clients do)",
            results["gunicorn-close"],
        )
        results["sync"] = served("sync", plain)
        _line("jitsuin pre-signed, gunicorn 4 sync workers (no keep-alive)", results["sync"])
        results["sync-conn0"] = served("sync", plain, JITSUIN_DB_CONN_MAX_AGE="0")
        _line(
            "  same, JITSUIN_DB_CONN_MAX_AGE=0 (a DB connection per request)", results["sync-conn0"]
        )
        results["live"] = served("gthread", nonced)
        _line("jitsuin signing live (nonce), gunicorn gthread", results["live"])
        results["live-close"] = served("gthread", nonced, keep_alive=False)
        _line("  same, a new connection per request", results["live-close"])

    if "embedded" in SERVERS:
        port = _free_port()
        results["embedded"] = _run(
            [python, "-c", EMBEDDED, str(port)],
            port,
            _post("/ocsp", plain[0]),
            [_post("/ocsp", r) for r in plain],
            env=env,
        )
        _line("jitsuin pre-signed, embedded server (`jitsuin serve`)", results["embedded"])

    # openssl ocsp with the intermediate's delegated responder (P-256), every response signed
    index = workdir / "index.txt"
    with index.open("w") as handle:
        for row, certificate in made:
            expiry = certificate.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
            handle.write(
                f"V\t{expiry}\t\t{Serial(certificate.serial_number).hex}\tunknown\t/CN={row.pk}\n"
            )
    signer = ocsp_signing.responder_for(hierarchy.intermediate)
    (workdir / "rsigner.pem").write_bytes(
        signer.certificate.public_bytes(serialization.Encoding.PEM)
    )
    (workdir / "rkey.pem").write_bytes(
        key_store()
        .get(hierarchy.intermediate.ocsp_key_ref)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (workdir / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    port = _free_port()
    openssl = [
        "openssl",
        "ocsp",
        "-index",
        str(index),
        "-port",
        str(port),
        "-rsigner",
        str(workdir / "rsigner.pem"),
        "-rkey",
        str(workdir / "rkey.pem"),
        "-CA",
        str(workdir / "ca.pem"),
        "-nmin",
        "60",
        "-multi",
        "2",
    ]
    results["openssl"] = _run(
        openssl,
        port,
        _post("/", plain[0], keep_alive=False),
        [_post("/", r, keep_alive=False) for r in plain],
    )
    _line("openssl ocsp -multi 2, signing each response (P-256)", results["openssl"])

    # nginx serving the static RFC 5019 export
    static = workdir / "static"
    count = ocsp_export.export_static(static / "ocsp")
    nginx = nginx_binary() if "nginx" in SERVERS else None
    if nginx:
        port = _free_port()
        nginx_config(workdir, port, static, "application/ocsp-response")
        paths = [_get("/ocsp/" + ocsp_export.static_path_for(_cert_id(ca, c))) for _, c in made]
        results["nginx"] = _run(
            [nginx, "-c", str(workdir / "nginx.conf"), "-p", str(workdir)], port, paths[0], paths
        )
        _line(f"nginx serving {count} exported static responses", results["nginx"])
    base = results["openssl"]["rps"]
    issue = [("live nonce, keep-alive", "granian-live"), ("live nonce, new connections",
             "granian-live-close"), ("pre-signed, new connections", "granian-close")]  # fmt: skip
    print(
        "  issue 15 (granian vs openssl ocsp -multi 2, target >= 1.0x): "
        + ", ".join(f"{k} {results[v]['rps'] / base:.2f}x" for k, v in issue if v in results),
        flush=True,
    )
    print(
        "  ratios to openssl ocsp: "
        + ", ".join(f"{k} {v['rps'] / base:.2f}x" for k, v in results.items() if k != "openssl"),
        flush=True,
    )


def _cert_id(issuer, certificate):  # type: ignore[no-untyped-def]
    from jitsuin.pki.ocsp import cert_id_for

    return cert_id_for(certificate.serial_number, issuer)


# ---- CRL generation ------------------------------------------------------------------------


def bench_crl(workdir: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from jitsuin.pki.clock import FixedClock
    from jitsuin.pki.crl import RevokedEntry, build_crl
    from jitsuin.pki.issuance import Signer, create_root
    from jitsuin.pki.keys import KeySpec, generate_private_key
    from jitsuin.pki.names import Serial, new_serial

    key = generate_private_key(KeySpec.parse("p384"))
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Bench CA")])
    ca = create_root(name, key, FixedClock(now - timedelta(days=1)))
    signer = Signer(certificate=ca, private_key=key, slug="bench")
    (workdir / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (workdir / "ca.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    print("CRL generation (P-384 CA key, reason keyCompromise on every entry):", flush=True)
    for count in (10_000, 100_000):
        revoked_at = now - timedelta(days=1)
        entries = [
            RevokedEntry(new_serial(), revoked_at, x509.ReasonFlags.key_compromise)
            for _ in range(count)
        ]
        started = time.perf_counter()
        crl = build_crl(signer, entries, crl_number=1, clock=FixedClock(now))
        ours = time.perf_counter() - started
        assert len(crl) == count
        stamp = revoked_at.strftime("%y%m%d%H%M%SZ")
        expiry = (now + timedelta(days=365)).strftime("%y%m%d%H%M%SZ")
        (workdir / "index.txt").write_text(
            "".join(
                f"R\t{expiry}\t{stamp},keyCompromise\t{Serial(e.serial).hex}\tunknown\t/CN=x\n"
                for e in entries
            )
        )
        (workdir / "crlnumber").write_text("01\n")
        (workdir / "ca.cnf").write_text(
            f"[ca]\ndefault_ca=c\n[c]\ndatabase={workdir}/index.txt\ncrlnumber={workdir}/crlnumber\n"
            f"certificate={workdir}/ca.crt\nprivate_key={workdir}/ca.key\ndefault_md=sha384\n"
            "default_crl_days=7\nunique_subject=no\ncrl_extensions=crl_ext\n[crl_ext]\nauthorityKeyIdentifier=keyid\n"
        )
        started = time.perf_counter()
        result = subprocess.run(
            [
                "openssl",
                "ca",
                "-config",
                str(workdir / "ca.cnf"),
                "-gencrl",
                "-out",
                str(workdir / "crl.pem"),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise RuntimeError("openssl ca -gencrl failed: " + result.stderr[-2000:])
        theirs = time.perf_counter() - started
        print(
            f"  {count:>7} entries: jitsuin {ours:6.2f} s, openssl ca -gencrl {theirs:6.2f} s,"
            f" ratio {ours / theirs:.2f}x",
            flush=True,
        )


def main() -> None:
    _setup_django()
    with tempfile.TemporaryDirectory(prefix="bench-ocsp-") as tmp:
        workdir = Path(tmp)
        if "crl" in PARTS:
            (workdir / "crl").mkdir()
            bench_crl(workdir / "crl")
        if "ocsp" in PARTS:
            (workdir / "ocsp").mkdir()
            bench_ocsp(workdir / "ocsp")


if __name__ == "__main__":
    main()
