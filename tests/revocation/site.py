"""A running jitsuin and the relying-party documentation, without pytest.

The ``live`` fixture (live.py) and the revoke -> reject benchmark (benchmarks/
bench_revoke_reject.py) share these: the documented blocks of docs/relying-parties.md, a TLS
server certificate for the relying party itself, and jitsuin served on a loopback port.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs" / "relying-parties.md"
DOC_URL = "https://pki.example.ac.jp"


def doc_block(name: str) -> str:
    """The fenced block after ``<!-- test: NAME -->`` in docs/relying-parties.md."""
    text = DOCS.read_text()
    match = re.search(rf"<!-- test: {re.escape(name)} -->\n```[a-z]*\n(.*?)\n```", text, re.S)
    assert match, f"docs/relying-parties.md has no block {name}"
    return match.group(1) + "\n"


def server_cert(directory: Path) -> None:
    """server.pem/server.key from a throwaway server-ca.pem: the RADIUS or web server's own
    certificate (not jitsuin's), which eapol_test checks."""

    def run(*args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, cwd=directory)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-keyout", "server-ca.key", "-out", "server-ca.pem",
        "-subj", "/CN=Test Server CA", "-days", "30",
        "-addext", "basicConstraints=critical,CA:true",
        "-addext", "keyUsage=critical,keyCertSign")  # fmt: skip
    run("openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=localhost")  # fmt: skip
    (directory / "server.ext").write_text(
        "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
    )
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "server-ca.pem",
        "-CAkey", "server-ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "30",
        "-extfile", "server.ext")  # fmt: skip


@dataclass
class Served:
    """jitsuin's WSGI application on a loopback port, in a thread of this process."""

    url: str
    server: Any
    ttl: str | None = None  # JITSUIN_PUBLIC_CACHE_TTL before serve()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        _set_public_cache_ttl(self.ttl)


def _set_public_cache_ttl(value: str | None) -> str | None:
    from jitsuin import config

    previous = os.environ.pop(TTL, None)
    if value is not None:
        os.environ[TTL] = value
    config.current.cache_clear()
    return previous


# The tests publish a CRL and fetch it at once; a deployment serves it within the TTL (2 s,
# tests/revocation/test_served.py). With 0 every request still goes through the memory path,
# asking the publication marker each time.
TTL = "JITSUIN_PUBLIC_CACHE_TTL"


def serve() -> Served:
    """What gunicorn and granian serve (jitsuin.wsgi: /ocsp, /ca/*, /crl/* and /healthz through
    the WSGI fast paths), on a free loopback port. Django must be set up."""
    from django.core.wsgi import get_wsgi_application

    from jitsuin.cli.server import build_server
    from jitsuin.revocation.fastpath import OcspWsgi
    from jitsuin.revocation.served import PublicWsgi

    server = build_server("127.0.0.1", 0, OcspWsgi(PublicWsgi(get_wsgi_application())))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    previous = _set_public_cache_ttl("0")
    return Served(f"http://127.0.0.1:{server.server_address[1]}", server, previous)
