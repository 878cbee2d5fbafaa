"""A worker with a wrong key-encryption key refuses to start; a key that stops opening at
work time is the worker's fault, never the user's request's."""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.faults.conftest import make_site

pytestmark = pytest.mark.slow


@pytest.fixture
def site(tmp_path):  # type: ignore[no-untyped-def]
    """A site of its own (SQLite in tmp_path, whatever DATABASE_URL says: the KEK check does
    not depend on the database) whose CA was made under JITSUIN_KEK=<kek>."""
    kek = secrets.token_hex(32)
    site = make_site(tmp_path, None, JITSUIN_KEK=kek)
    site.run("migrate", "-v", "0")
    site.run("ca", "init")
    return site


def _worker(site, **env):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from tests.faults.conftest import ROOT

    return subprocess.run(
        [sys.executable, "-m", "jitsuin", "worker", "--batch"],
        env={**site.env, **env}, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_worker_with_another_valid_kek_refuses_to_start(site):
    done = _worker(site, JITSUIN_KEK=secrets.token_hex(32))
    assert done.returncode != 0
    assert "JITSUIN_KEK" in done.stderr and "wrong key-encryption key" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_malformed_kek_is_refused_naming_the_variable(site):
    done = _worker(site, JITSUIN_KEK="xyz")
    assert done.returncode != 0 and "JITSUIN_KEK" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_damaged_key_file_is_reported_as_such_not_as_a_wrong_kek(site):
    keys = sorted((site.data_dir / "keys").iterdir())
    for path in keys:
        path.write_bytes(path.read_bytes()[:120])
    done = _worker(site)
    assert done.returncode != 0 and "damaged" in done.stderr
    assert "wrong key-encryption key" not in done.stderr and "Traceback" not in done.stderr


def test_the_right_kek_starts(site):
    done = _worker(site)
    assert done.returncode == 0, done.stderr


def test_a_key_that_stops_opening_releases_the_request_instead_of_failing_it(site):
    # Start-up passed; then the issuing key is replaced by one under another password
    # (as a KEK rotated on disk but not in this worker). Queue 3 requests and work them.
    site.python(
        "from jitsuin.lifecycle import people, services\n"
        "for uid in ['u1', 'u2', 'u3']:\n"
        "    p = people.add_person(uid, email=uid + '@example.ac.jp', actor='t')\n"
        "    services.request_issue(p, actor='t', idempotency_key='k-' + uid)\n"
    )
    out = site.python(
        "from jitsuin.authorities.models import Authority\n"
        "from jitsuin.config import current\n"
        "for a in Authority.objects.issuing():\n"
        "    print('KEYFILE', current().key_dir / a.key_ref.split(':', 1)[1])\n"
    )
    from pathlib import Path

    path = Path(out.split("KEYFILE ", 1)[1].split()[0])
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secrets.token_hex(32).encode()),
    )
    path.write_bytes(other)
    code = (
        "from jitsuin.lifecycle.pipeline import advance\n"
        "from jitsuin.lifecycle.models import Request\n"
        "for r in Request.objects.all():\n"
        "    print('OUTCOME', advance(r.pk, worker_id='bad-node'))\n"
        "for r in Request.objects.all():\n"
        "    print('STATE', r.state, r.attempts, r.last_error)\n"
    )
    out = site.python(code)
    assert out.count("OUTCOME released") == 3, out
    states = [line.split()[1:3] for line in out.splitlines() if line.startswith("STATE")]
    assert states == [["waiting", "0"]] * 3, out
    assert "JITSUIN_KEK" in out  # the shown error points at the key-encryption key
