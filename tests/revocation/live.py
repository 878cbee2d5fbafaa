"""A running jitsuin with a real hierarchy, for interop tests against real relying parties.

The module-scoped ``live`` fixture commits its data (the server thread must see it), so it
flushes the test database when the module is done, as a TransactionTestCase would. Tests using
it are not marked django_db: a test transaction would hold SQLite's write lock.
"""

from __future__ import annotations

import re
import subprocess
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing.ocsp_signing import reset_process_caches
from jitsuin.authorities.revocations import revoke_authority
from jitsuin.authorities.services import certificate_of
from jitsuin.cli.server import build_server
from jitsuin.lifecycle import sightings
from jitsuin.revocation.fastpath import OcspWsgi

from .factories import Hierarchy, Issued, issue, issue_expired, make_hierarchy, revoke

CLIENTS = ("fresh", "revoked", "expired", "underrevoked")


def only_fresh_accepted(accepted: object, refused: object) -> dict[str, object]:
    """What a relying party should answer for each of CLIENTS: only "fresh" gets in."""
    return {client: accepted if client == "fresh" else refused for client in CLIENTS}


DOCS = Path(__file__).resolve().parents[2] / "docs" / "relying-parties.md"
DOC_URL = "https://pki.example.ac.jp"


def doc_block(name: str) -> str:
    """The fenced block after ``<!-- test: NAME -->`` in docs/relying-parties.md."""
    text = DOCS.read_text()
    match = re.search(rf"<!-- test: {re.escape(name)} -->\n```[a-z]*\n(.*?)\n```", text, re.S)
    assert match, f"docs/relying-parties.md has no block {name}"
    return match.group(1) + "\n"


@dataclass
class Live:
    url: str
    dir: Path
    pki: Hierarchy
    clients: dict[str, Issued]
    blocker: object  # pytest-django's django_db_blocker: `with live.db():` for ORM access

    def db(self):  # type: ignore[no-untyped-def]
        """ORM access outside a test transaction (SQLite's write lock would stall the server)."""
        return self.blocker.unblock()  # type: ignore[attr-defined]

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:  # noqa: S310
            return bytes(response.read())

    def sync(self, target: Path) -> Path:
        """Run the documented sync script against this jitsuin into ``target``."""
        script = doc_block("sync-script").replace(DOC_URL, self.url)
        path = self.dir / "jitsuin-sync"
        path.write_text(script)
        subprocess.run(["sh", str(path), str(target)], check=True, capture_output=True, timeout=60)
        return target


def _server_cert(directory: Path) -> None:
    """A TLS server certificate from a throwaway CA (the RADIUS/web server's own, not jitsuin's)."""
    run = lambda *args: subprocess.run(args, check=True, capture_output=True, cwd=directory)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run(
        "openssl",
        "req",
        "-x509",
        *ec,
        "-keyout",
        "server-ca.key",
        "-out",
        "server-ca.pem",
        "-subj",
        "/CN=Test Server CA",
        "-days",
        "30",
        "-addext",
        "basicConstraints=critical,CA:true",
        "-addext",
        "keyUsage=critical,keyCertSign",
    )
    run(
        "openssl",
        "req",
        *ec,
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    )
    (directory / "server.ext").write_text(
        "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
    )
    run(
        "openssl",
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "server-ca.pem",
        "-CAkey",
        "server-ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "30",
        "-extfile",
        "server.ext",
    )


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, tmp_path_factory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("live")
    with django_db_blocker.unblock():
        own_databases = None
        # pytest-django creates the test database only for django_db tests; these are not.
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            own_databases = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        reset_process_caches()
        pki = make_hierarchy()
        clients = {
            "fresh": issue(pki.current, uid="fresh"),
            "revoked": issue(pki.current, uid="revoked"),
            "expired": issue_expired(pki.current, uid="expired"),
            "underrevoked": issue(pki.old, uid="underrevoked"),
        }
        revoke(clients["revoked"], reason="keyCompromise")
        revoke_authority(pki.old.name, reason="superseded", actor="test")
        for authority in (pki.root, pki.current, pki.old):
            publishing.publish_crl(authority)
        for name, item in clients.items():
            (directory / f"{name}.chain.pem").write_bytes(item.chain_pem)
            (directory / f"{name}.pem").write_bytes(item.pem)
            (directory / f"{name}.key").write_bytes(item.key_pem)
            (directory / f"{name}.issuer.pem").write_bytes(
                certificate_of(item.issuer).public_bytes(serialization.Encoding.PEM)
            )
        _server_cert(directory)
        # What gunicorn and granian serve (jitsuin.wsgi): /ocsp through the WSGI fast path.
        server = build_server("127.0.0.1", 0, OcspWsgi(get_wsgi_application()))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(
                url=f"http://127.0.0.1:{server.server_address[1]}",
                dir=directory,
                pki=pki,
                clients=clients,
                blocker=django_db_blocker,
            )
        finally:
            server.shutdown()
            server.server_close()
            sightings._buffer.clear()
            reset_process_caches()
            call_command("flush", interactive=False, verbosity=0)
            if own_databases is not None:
                teardown_databases(own_databases, verbosity=0)
