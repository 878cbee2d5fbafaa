"""A running jitsuin with a real hierarchy, for interop tests against real relying parties.

The module-scoped ``live`` fixture commits its data (the server thread must see it), so it
flushes the test database when the module is done, as a TransactionTestCase would. Tests using
it are not marked django_db: a test transaction would hold SQLite's write lock.
"""

from __future__ import annotations

import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing.ocsp_signing import reset_process_caches
from jitsuin.authorities.revocations import revoke_authority
from jitsuin.authorities.services import certificate_of
from jitsuin.lifecycle import sightings

from .factories import Hierarchy, Issued, issue, issue_expired, make_hierarchy, revoke
from .site import DOC_URL, doc_block, serve, server_cert

__all__ = ["CLIENTS", "DOC_URL", "Live", "doc_block", "live", "only_fresh_accepted"]

CLIENTS = ("fresh", "revoked", "expired", "underrevoked")


def only_fresh_accepted(accepted: object, refused: object) -> dict[str, object]:
    """What a relying party should answer for each of CLIENTS: only "fresh" gets in."""
    return {client: accepted if client == "fresh" else refused for client in CLIENTS}


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
        server_cert(directory)
        served = serve()
        try:
            yield Live(
                url=served.url,
                dir=directory,
                pki=pki,
                clients=clients,
                blocker=django_db_blocker,
            )
        finally:
            served.stop()
            sightings._buffer.clear()
            reset_process_caches()
            call_command("flush", interactive=False, verbosity=0)
            if own_databases is not None:
                teardown_databases(own_databases, verbosity=0)
