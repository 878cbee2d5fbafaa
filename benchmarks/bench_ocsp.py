"""OCSP serving and CRL signing, next to OpenSSL on the same machine in the same run.

OCSP (requests/s and p99, one load client for every server, no probing connections because
`openssl ocsp` spins after a connection that sends nothing, openssl/openssl#31129):
  - jitsuin pre-signed responses under gunicorn (sync workers) and the embedded server;
  - jitsuin signing every response live (nonce requests) under gunicorn;
  - `openssl ocsp -multi 2` signing every response with the same key type (P-256);
  - nginx serving jitsuin's pre-signed responses exported as RFC 5019 static files.
CRL: pki.build_crl for 10k and 100k entries against `openssl ca -gencrl` on the same entries,
with the same CA key type (P-384).

    python -m benchmarks ocsp          (BENCH_SECONDS=5, BENCH_CERTS=2000, BENCH_CLIENTS=2,
                                        BENCH_PARTS=crl,ocsp)
"""

from __future__ import annotations

import multiprocessing
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CERTS = int(os.environ.get("BENCH_CERTS", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "2"))
CONNECTIONS = 16  # per client process
PARTS = os.environ.get("BENCH_PARTS", "crl,ocsp").split(",")  # which halves to run


def _setup_django() -> str:
    if "JITSUIN_DATA_DIR" not in os.environ:
        os.environ["JITSUIN_DATA_DIR"] = tempfile.mkdtemp(prefix="jitsuin-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
    os.environ.setdefault("JITSUIN_DEMO", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return os.environ["JITSUIN_DATA_DIR"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- the load client ------------------------------------------------------------------------


def _parse(buffer: bytes) -> tuple[int, bool] | None:
    """(bytes of one complete response, server keeps the connection) or None if incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buffer[:end].lower()
    length = -1
    for line in head.split(b"\r\n")[1:]:
        if line.startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    keep = b"connection: close" not in head and not head.startswith(b"http/1.0")
    if length < 0:
        return None  # read until close
    total = end + 4 + length
    return (total, keep) if len(buffer) >= total else None


def _load_process(args: tuple[int, list[bytes], float]) -> tuple[int, list[float], int]:
    port, requests, seconds = args
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    errors = 0
    done = 0
    state: dict[socket.socket, dict[str, object]] = {}

    def start(sock: socket.socket | None, index: int) -> None:
        if sock is None:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        sock.sendall(requests[index % len(requests)])
        state[sock] = {"buffer": b"", "t0": time.perf_counter(), "i": index + 1}

    for n in range(CONNECTIONS):
        start(None, n * 7919)
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            item = state[sock]
            try:
                chunk = sock.recv(65536)
            except ConnectionError:
                chunk = b""
            buffer = bytes(item["buffer"]) + chunk  # type: ignore[arg-type]
            parsed = _parse(buffer)
            if parsed is None and chunk:
                item["buffer"] = buffer
                continue
            ok = parsed is not None and buffer[:16].split(b" ")[1:2] == [b"200"]
            if ok:
                latencies.append(time.perf_counter() - float(item["t0"]))  # type: ignore[arg-type]
                done += 1
            else:
                errors += 1
            keep = parsed[1] if parsed else False
            index = int(item["i"])  # type: ignore[call-overload]
            if keep:
                start(sock, index)
            else:
                selector.unregister(sock)
                sock.close()
                del state[sock]
                start(None, index)
    for sock in list(state):
        sock.close()
    return done, latencies, errors


def load(port: int, requests: list[bytes], seconds: float = SECONDS) -> dict[str, float]:
    with multiprocessing.get_context("fork").Pool(CLIENTS) as pool:
        results = pool.map(
            _load_process, [(port, requests[i::CLIENTS], seconds) for i in range(CLIENTS)]
        )
    done = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[1])
    errors = sum(r[2] for r in results)
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan")
    return {"rps": done / seconds, "p99_ms": p99, "errors": errors}


def _wait_ready(port: int, sample: bytes) -> None:
    """Readiness by a real request (an empty connection would hang `openssl ocsp`)."""
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(sample)
                if sock.recv(12).startswith(b"HTTP/1."):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not answer")


def _post(path: str, body: bytes, *, keep_alive: bool = True) -> bytes:
    connection = b"keep-alive" if keep_alive else b"close"
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n"
        f"Content-Length: {len(body)}\r\n".encode()
        + b"Connection: "
        + connection
        + b"\r\n\r\n"
        + body
    )


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".encode()


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


def _run(command: list[str], port: int, sample: bytes, requests: list[bytes], **kw):  # type: ignore[no-untyped-def]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    try:
        _wait_ready(port, sample)
        load(port, requests, 1.0)  # warm-up
        return load(port, requests)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


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
    port = _free_port()
    granian = [
        str(Path(python).parent / "granian"),
        "--interface",
        "wsgi",
        "--workers",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "jitsuin.wsgi:application",
    ]
    if Path(granian[0]).exists():
        posts = [_post("/ocsp", r) for r in plain]
        results["granian"] = _run(granian, port, posts[0], posts, env=env)
        _line("jitsuin pre-signed, granian 2 workers (WSGI)", results["granian"])
        port = _free_port()
        granian[granian.index("--port") + 1] = str(port)
        posts = [_post("/ocsp", r, keep_alive=False) for r in plain]
        results["granian-close"] = _run(granian, port, posts[0], posts, env=env)
        _line(
            "  same, a new connection per request (as OpenSSL clients do)", results["granian-close"]
        )

    # threaded gunicorn keeps connections open
    results["gunicorn"] = served("gthread", plain)
    _line("jitsuin pre-signed, gunicorn 2 workers x 8 threads (gthread)", results["gunicorn"])
    results["gunicorn-close"] = served("gthread", plain, keep_alive=False)
    _line("  same, a new connection per request (as OpenSSL clients do)", results["gunicorn-close"])
    results["sync"] = served("sync", plain)
    _line("jitsuin pre-signed, gunicorn 4 sync workers (no keep-alive)", results["sync"])
    results["sync-conn0"] = served("sync", plain, JITSUIN_DB_CONN_MAX_AGE="0")
    _line("  same, JITSUIN_DB_CONN_MAX_AGE=0 (a DB connection per request)", results["sync-conn0"])

    port = _free_port()
    results["embedded"] = _run(
        [python, "-c", EMBEDDED, str(port)],
        port,
        _post("/ocsp", plain[0]),
        [_post("/ocsp", r) for r in plain],
        env=env,
    )
    _line("jitsuin pre-signed, embedded server (`jitsuin serve`)", results["embedded"])

    results["live"] = served("gthread", nonced)
    _line("jitsuin signing live (nonce), gunicorn gthread", results["live"])

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
    if shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin"):
        port = _free_port()
        (workdir / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")  # workers must read the temp dir
            + f"daemon off; worker_processes 2; pid {workdir}/nginx.pid;\n"
            f"error_log {workdir}/e.log;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ access_log off; client_body_temp_path {workdir}; proxy_temp_path {workdir};"
            f" fastcgi_temp_path {workdir}; uwsgi_temp_path {workdir}; scgi_temp_path {workdir};\n"
            f"  server {{ listen 127.0.0.1:{port}; root {static};"
            " default_type application/ocsp-response; keepalive_requests 100000; } }\n"
        )
        paths = [_get("/ocsp/" + ocsp_export.static_path_for(_cert_id(ca, c))) for _, c in made]
        nginx = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin") or "nginx"
        results["nginx"] = _run(
            [nginx, "-c", str(workdir / "nginx.conf"), "-p", str(workdir)], port, paths[0], paths
        )
        _line(f"nginx serving {count} exported static responses", results["nginx"])
    base = results["openssl"]["rps"]
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
