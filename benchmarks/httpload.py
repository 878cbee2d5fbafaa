"""The HTTP side of the benchmarks: a throwaway Django site, a keep-alive load generator,
and servers started, warmed up and stopped around a measurement.

    BENCH_SECONDS (5)  how long each measurement runs
    BENCH_CLIENTS (2)  load processes, each with CONNECTIONS keep-alive connections
"""

from __future__ import annotations

import multiprocessing
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "2"))
CONNECTIONS = 16  # per client process


def setup_django() -> str:
    if "JITSUIN_DATA_DIR" not in os.environ:
        os.environ["JITSUIN_DATA_DIR"] = tempfile.mkdtemp(prefix="jitsuin-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
    os.environ.setdefault("JITSUIN_DEMO", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return os.environ["JITSUIN_DATA_DIR"]


def granian_command(port: int, target: str = "jitsuin.wsgi:application") -> list[str]:
    """granian (the production server, a Rust HTTP server) with 2 WSGI workers on ``port``."""
    return [
        str(Path(sys.executable).parent / "granian"),
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
        target,
    ]


def free_port() -> int:
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


def _load_process(args: tuple[int, list[bytes], float, int]) -> tuple[int, list[float], int]:
    port, requests, seconds, connections = args
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

    for n in range(connections):
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


def load(
    port: int,
    requests: list[bytes],
    seconds: float = SECONDS,
    *,
    clients: int = CLIENTS,
    connections: int = CONNECTIONS,
) -> dict[str, float]:
    """``clients`` processes, each keeping ``connections`` requests in flight for ``seconds``."""
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(
            _load_process,
            [
                (port, requests[i::clients] or requests, seconds, connections)
                for i in range(clients)
            ],
        )
    done = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[1])
    errors = sum(r[2] for r in results)
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else float("nan")
    p95 = latencies[int(len(latencies) * 0.95)] * 1000 if latencies else float("nan")
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan")
    return {"rps": done / seconds, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "errors": errors}


def wait_ready(port: int, sample: bytes) -> None:
    """Readiness by a real request (an empty connection would hang `openssl ocsp`)."""
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(sample)
                if sock.recv(12).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        # Refused, or accepted and closed by a server still starting its workers: wait too.
        time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not answer")


def post_request(path: str, body: bytes, *, keep_alive: bool = True) -> bytes:
    connection = b"keep-alive" if keep_alive else b"close"
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n"
        f"Content-Length: {len(body)}\r\n".encode()
        + b"Connection: "
        + connection
        + b"\r\n\r\n"
        + body
    )


def get_request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".encode()


@contextmanager
def serving(command: list[str], port: int, sample: bytes, **kw: object) -> Iterator[None]:
    """A server started with ``command``, answering ``sample`` on ``port``, stopped after."""
    process = _start(command, **kw)
    try:
        wait_ready(port, sample)
        yield
    finally:
        _stop(process)


def run(command: list[str], port: int, sample: bytes, requests: list[bytes], **kw):  # type: ignore[no-untyped-def]
    process = _start(command, **kw)
    try:
        wait_ready(port, sample)
        load(port, requests, 1.0)  # warm-up
        return load(port, requests)
    finally:
        _stop(process)


def _start(command: list[str], **kw: object) -> subprocess.Popen[bytes]:
    # A process group of its own: stopping it stops whatever it forked (`openssl ocsp -multi`'s
    # children outlive a terminated parent). Not a session: `openssl ocsp -multi` then cannot
    # make its own process group and exits (saying so to syslog only).
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        process_group=0,
        **kw,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            os.killpg(process.pid, signal.SIGKILL)  # what it left behind
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            pass
        return


def nginx_binary() -> str | None:
    return shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")


def nginx_config(workdir: Path, port: int, root: Path, default_type: str, extra: str = "") -> Path:
    """An nginx (2 workers, keep-alive) serving ``root`` as static files on ``port``."""
    conf = workdir / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # workers must read the temp dir
        + f"daemon off; worker_processes 2; pid {workdir}/nginx.pid;\n"
        f"error_log {workdir}/e.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; client_body_temp_path {workdir}; proxy_temp_path {workdir};"
        f" fastcgi_temp_path {workdir}; uwsgi_temp_path {workdir}; scgi_temp_path {workdir};\n"
        f"  server {{ listen 127.0.0.1:{port}; root {root};"
        f" default_type {default_type}; keepalive_requests 100000; {extra}}} }}\n"
    )
    return conf
