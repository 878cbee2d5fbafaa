"""The whole story with real OpenSSL: mail encrypted to an S/MIME certificate, the
certificate revoked and expired, the key recovered through the portal, the mail read again.
Afterwards neither the data directory nor the database holds an unencrypted private key or
any part of the recovery private key."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jitsuin.config import current
from jitsuin.lifecycle.models import Certificate, CertificateStatus, KeyRecovery, RecoveryState
from jitsuin.lifecycle.services import request_revoke
from jitsuin.notify.models import OutboxMessage
from jitsuin.pki.keyarchive import load_recovery_private_key
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.peers import require_tool
from tests.portal.conftest import run_worker
from tests.recovery.conftest import PASSPHRASE
from tests.staff_fixtures import sign_in

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=False)]

MESSAGE = b"Minutes of the 2026 budget meeting: confidential.\n"
UNENCRYPTED_KEY_MARKERS = (
    b"-----BEGIN PRIVATE KEY-----",
    b"-----BEGIN RSA PRIVATE KEY-----",
    b"-----BEGIN EC PRIVATE KEY-----",
)


def _openssl(*args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(  # noqa: S603 (a peer program with our own arguments)
        [require_tool("openssl"), *args], input=stdin, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def _portal(person) -> Client:  # type: ignore[no-untyped-def]
    """Signed in with a verified second factor (a fresh session: the clock may have moved)."""
    return sign_in(person.user, client=Client(HTTP_ACCEPT_LANGUAGE="en"))


def _key_ders(key) -> list[bytes]:  # type: ignore[no-untyped-def]
    none = serialization.NoEncryption()
    return [
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, none),
        key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, none
        ),
    ]


def _database_bytes() -> bytes:
    """Every value of every row of every table jitsuin has, as bytes."""
    chunks = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        names = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.values_list(*names):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    chunks.append(bytes(value))
                elif value is not None:
                    chunks.append(str(value).encode())
    return b"\0".join(chunks)


def _data_dir_bytes() -> list[tuple[Path, bytes]]:
    found = []
    for root, _dirs, files in os.walk(current().data_dir):
        for name in files:
            path = Path(root) / name
            found.append((path, path.read_bytes()))
    return found


def test_old_mail_is_readable_again_after_revocation_expiry_and_recovery(
    alice, alice_cert, offline_dir, recovery_pair, tmp_path, monkeypatch
):
    # Mail encrypted to the S/MIME certificate, as any mail client would.
    cert_pem = tmp_path / "alice.pem"
    cert_pem.write_bytes(_openssl("x509", "-inform", "DER", stdin=bytes(alice_cert.der)))
    (tmp_path / "message.txt").write_bytes(MESSAGE)
    _openssl(
        "cms", "-encrypt", "-binary", "-aes256", "-in", str(tmp_path / "message.txt"),
        "-out", str(tmp_path / "message.p7m"), str(cert_pem),
    )  # fmt: skip
    assert MESSAGE not in (tmp_path / "message.p7m").read_bytes()

    # The certificate is revoked (the real pipeline), then expires: the clock moves on.
    request_revoke(alice_cert, actor="user:alice", idempotency_key="rt-revoke", reason="superseded")
    run_worker()
    alice_cert.refresh_from_db()
    assert alice_cert.status == CertificateStatus.REVOKED
    later = alice_cert.not_after + timedelta(days=90)
    monkeypatch.setattr(timezone, "now", lambda: later)

    # The owner, with a second factor, finds the key among their archived keys and asks.
    portal = _portal(alice)
    listing = portal.get(reverse("portal:archived_keys")).content.decode()
    assert alice_cert.serial_number.hex in listing and "Revoked" in listing
    archive_id = Certificate.objects.get(pk=alice_cert.pk).key_archive.pk
    portal.post(reverse("portal:recover_key", args=[archive_id]), {"reason": "new laptop"})
    asked = KeyRecovery.objects.get()
    assert asked.state == RecoveryState.APPROVED

    # Processed where the recovery key is: `jitsuin recovery process` with the offline media.
    call_command(
        "recovery", "process",
        "--key", str(offline_dir / "recovery-key.pem"),
        "--passphrase-file", str(offline_dir / "passphrase"),
    )  # fmt: skip
    asked.refresh_from_db()
    assert asked.state == RecoveryState.RECOVERED
    assert OutboxMessage.objects.filter(event="key_recovered", person=alice).exists()

    # The owner downloads the one-time PKCS#12 with its new PIN in the portal.
    pickup_id = asked.pickup.pk
    page = portal.get(reverse("portal:download", args=[pickup_id]))
    pin = page.context["pin"]
    p12 = portal.post(reverse("portal:download_file", args=[pickup_id])).content
    (tmp_path / "recovered.p12").write_bytes(p12)
    key_pem = _openssl(
        "pkcs12", "-in", str(tmp_path / "recovered.p12"), "-nodes", "-passin", f"pass:{pin}"
    )
    (tmp_path / "recovered.pem").write_bytes(key_pem)
    decrypted = _openssl(
        "cms", "-decrypt", "-in", str(tmp_path / "message.p7m"),
        "-recip", str(tmp_path / "recovered.pem"), "-inkey", str(tmp_path / "recovered.pem"),
    )  # fmt: skip
    assert decrypted == MESSAGE

    # Nothing on the server holds the key in the clear, nor the recovery private key.
    recovered_key = load_pkcs12(p12, pin).key
    recovery_key = load_recovery_private_key(recovery_pair.private_pem, PASSPHRASE)
    needles = [
        *_key_ders(recovered_key),
        *_key_ders(recovery_key),
        recovery_pair.private_pem,
        recovery_pair.private_pem.splitlines()[1],  # a line of its encrypted PEM
        PASSPHRASE,
    ]
    database = _database_bytes()
    # The search sees binary columns (the archive itself is there, encrypted) and key files.
    assert bytes(Certificate.objects.get(pk=alice_cert.pk).key_archive.encrypted_key) in database
    files = _data_dir_bytes()
    assert any(b"ENCRYPTED PRIVATE KEY" in data for _path, data in files)  # the CA keys
    for needle in needles:
        assert needle not in database
    for marker in UNENCRYPTED_KEY_MARKERS:
        assert marker not in database
    for path, data in files:
        for needle in [*needles, *UNENCRYPTED_KEY_MARKERS]:
            assert needle not in data, path
