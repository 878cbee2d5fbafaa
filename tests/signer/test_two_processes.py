"""The RA/CA split end to end: the signer (`jitsuin signer serve`, its own data directory and
SQLite database) as a real process, the RA (this test's Django, remote connector) ordering
through its pipeline. About two minutes on two cores, most of it starting jitsuin processes:
marked slow."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from jitsuin import config
from jitsuin.authorities.models import Authority, PendingPublication, PublishedCrl
from jitsuin.connectors import remote_crl
from jitsuin.connectors.base import ConnectorError, ConnectorRejected, IssueOrder
from jitsuin.connectors.registry import connector_for
from jitsuin.connectors.remote import order_key
from jitsuin.connectors.remote_client import client_context
from jitsuin.lifecycle.models import Certificate, Request, RequestState
from jitsuin.lifecycle.services import default_profile, request_issue, request_revoke
from jitsuin.pki.keystore import EncryptedFileKeyStore
from jitsuin.pki.names import person_subject
from jitsuin.signer.server import MAX_BODY
from tests.lifecycle.conftest import make_person, run_pipeline
from tests.signer.process import SignerProcess, must, ra_settings, run_jitsuin

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def signer(tmp_path_factory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("signer-host")
    process = SignerProcess(home / "data", home / "signer.log")
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def credentials(signer) -> Path:  # type: ignore[no-untyped-def]
    return signer.add_ra("ra-main")


@pytest.fixture
def ra(signer, credentials, monkeypatch, db):  # type: ignore[no-untyped-def]
    """This Django as the RA, ordering from ``signer``."""
    if signer.process is None or signer.process.poll() is not None:
        signer.start()
    for name, value in ra_settings(signer, credentials).items():
        monkeypatch.setenv(name, value)
    config.current.cache_clear()
    yield signer
    monkeypatch.undo()
    config.current.cache_clear()


def _ask(uid: str) -> Request:
    person = make_person(uid)
    return request_issue(
        person, actor="system", idempotency_key=f"k-{uid}", profile=default_profile()
    )


def _signer_cas(signer: SignerProcess) -> list[x509.Certificate]:
    pem = must(run_jitsuin(signer.env, "ca", "export", "--bundle"))
    return x509.load_pem_x509_certificates(pem.encode())


def test_a_request_through_the_ra_pipeline_is_signed_by_the_signer(ra):
    request = _ask("alice")
    assert "issued" in run_pipeline(timezone.now())
    request.refresh_from_db()
    certificate = request.certificate
    assert certificate is not None
    leaf = x509.load_der_x509_certificate(bytes(certificate.der))
    issuer = certificate.issuer
    assert issuer.key_ref.startswith("remote:")  # a row without a key
    issuer_certificate = x509.load_der_x509_certificate(bytes(issuer.certificate_der))
    leaf.verify_directly_issued_by(issuer_certificate)
    assert issuer_certificate in _signer_cas(ra)
    rows = ra.query(
        "select serial, kind from signer_signerorder where idempotency_key = ?",
        order_key("issue", request.pk),
    )
    assert rows == [(certificate.serial, "issue")]


def test_the_signer_killed_after_signing_gives_exactly_one_certificate(ra, tmp_path):
    ra.stop()
    marker = tmp_path / "crashed"
    ra.start("--test-crash-after-order", str(marker))
    request = _ask("bob")
    now = timezone.now()
    outcomes = run_pipeline(now)
    assert "retry" in outcomes and "issued" not in outcomes
    assert marker.exists()
    assert ra.process is not None
    assert ra.process.wait(timeout=10) == -9  # SIGKILL, after the order was written
    orders = ra.query(
        "select count(*) from signer_signerorder where idempotency_key = ?",
        order_key("issue", request.pk),
    )
    assert orders == [(1,)]
    request.refresh_from_db()
    assert request.state == RequestState.WAITING
    ra.start()
    assert "issued" in run_pipeline(now + timedelta(hours=1))
    assert Certificate.objects.filter(person__uid="bob").count() == 1
    assert ra.query(
        "select count(*) from signer_signerorder where idempotency_key = ?",
        order_key("issue", request.pk),
    ) == [(1,)]


def test_the_signer_down_makes_requests_wait_until_it_returns(ra):
    ra.stop()
    request = _ask("carol")
    now = timezone.now()
    outcomes = run_pipeline(now)
    assert "retry" in outcomes and "issued" not in outcomes
    request.refresh_from_db()
    assert request.state == RequestState.WAITING
    assert "upstream unavailable" in request.last_error
    ra.start()
    assert "issued" in run_pipeline(now + timedelta(hours=1))
    request.refresh_from_db()
    assert request.certificate is not None


def _order(uid: str) -> IssueOrder:
    return IssueOrder(
        request_id=9000 + len(uid),
        subject=person_subject(common_name=uid, uid=uid, organization="jitsuin"),
        email=f"{uid}@example.ac.jp",
        template="client-auth",
        validity=timedelta(days=30),
        key_spec="p256",
    )


def test_a_removed_ra_is_refused_though_its_certificate_is_valid(ra, monkeypatch, tmp_path):
    other = ra.add_ra("ra-leaving")
    for name, value in ra_settings(ra, other).items():
        monkeypatch.setenv(name, value)
    config.current.cache_clear()
    must(run_jitsuin(ra.env, "signer", "remove-ra", "ra-leaving"))
    with pytest.raises(ConnectorRejected, match="not a registered RA"):
        connector_for("builtin").submit_issue(_order("dave"), now=timezone.now())


def test_a_client_certificate_not_from_the_admin_ca_is_refused_at_tls(
    ra, monkeypatch, tmp_path, credentials
):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name.from_rfc4514_string("CN=intruder")
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "client.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "client.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "signer-ca.pem").write_bytes((credentials / "signer-ca.pem").read_bytes())
    for name_, value in ra_settings(ra, tmp_path).items():
        monkeypatch.setenv(name_, value)
    config.current.cache_clear()
    with pytest.raises(ConnectorError, match="upstream unavailable") as caught:
        connector_for("builtin").submit_issue(_order("eve"), now=timezone.now())
    assert not isinstance(caught.value, ConnectorRejected)
    assert ra.query(
        "select count(*) from signer_signerorder where idempotency_key = ?",
        order_key("issue", 9003),
    ) == [(0,)]


def _ca_key_material(signer: SignerProcess) -> list[bytes]:
    """Every CA private key of the signer, in the forms it could be copied in: the private
    value and its PKCS#8 DER and PEM encodings."""
    kek = bytes.fromhex((signer.data_dir / "kek.hex").read_text().strip())
    store = EncryptedFileKeyStore(signer.data_dir / "keys", kek)
    refs = [r[0] for r in signer.query("select key_ref from authorities_authority")]
    forms: list[bytes] = []
    for ref in refs:
        key = store.get(str(ref))
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        forms.append(key.private_numbers().private_value.to_bytes(32, "big"))
        for encoding in (serialization.Encoding.DER, serialization.Encoding.PEM):
            forms.append(
                key.private_bytes(
                    encoding, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
    return forms


def test_the_ra_holds_no_ca_private_key(ra):
    _ask("frank")
    assert "issued" in run_pipeline(timezone.now())
    material = _ca_key_material(ra)
    assert material
    data_dir = config.current().data_dir
    for root, _dirs, files in os.walk(data_dir):
        for name in files:
            content = (Path(root) / name).read_bytes()
            assert not any(form in content for form in material), Path(root) / name
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.db_table not in tables or model._meta.proxy:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(
                f, models.BinaryField | models.TextField | models.CharField | models.JSONField
            )
        ]
        for row in model.objects.values_list(*fields):
            for value in row:
                blob = (
                    bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                )
                assert not any(form in blob for form in material), model.__name__
    assert all(a.key_ref.startswith("remote:") for a in Authority.objects.all())


def _raw(
    signer: SignerProcess,
    credentials: Path,
    method: str,
    path: str,
    body: bytes = b"",
    **headers: str,
) -> tuple[int, dict[str, object]]:
    context = client_context(
        credentials / "client.pem", credentials / "client.key", credentials / "signer-ca.pem"
    )
    connection = http.client.HTTPSConnection("127.0.0.1", signer.port, timeout=10, context=context)
    try:
        headers = {"Content-Type": "application/json", **headers}
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def test_status_and_bodies_too_large_or_not_json(ra, credentials):
    status, answer = _raw(ra, credentials, "GET", "/v1/status")
    assert status == 200 and answer["ra"] == "ra-main" and len(answer["chain"]) == 2  # type: ignore[arg-type]
    # Refused on its announced length, before any of it is read.
    too_long = {"Content-Length": str(MAX_BODY + 1)}
    status, answer = _raw(ra, credentials, "POST", "/v1/issue", **too_long)
    assert status == 413
    status, answer = _raw(ra, credentials, "POST", "/v1/issue", b"[1, 2")
    assert status == 400 and "not JSON" in str(answer["error"])
    status, _answer = _raw(ra, credentials, "GET", "/v1/nothing")
    assert status == 404


def test_only_tls_1_3_is_spoken(ra, credentials):
    context = client_context(
        credentials / "client.pem", credentials / "client.key", credentials / "signer-ca.pem"
    )
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(ssl.SSLError):
        with socket.create_connection(("127.0.0.1", ra.port), timeout=10) as raw:
            context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_a_revocation_reaches_the_signer_and_its_crl_is_pulled_into_the_ra(ra):
    request = _ask("grace")
    assert "issued" in run_pipeline(timezone.now())
    request.refresh_from_db()
    certificate = request.certificate
    assert certificate is not None
    request_revoke(certificate, actor="system", idempotency_key="r-grace", reason="keyCompromise")
    assert "revoked" in run_pipeline(timezone.now())
    stored = remote_crl.pull_from_configured_signer()
    issuer = certificate.issuer
    row = PublishedCrl.objects.latest_for(issuer)
    assert row is not None and row in stored
    crl = x509.load_der_x509_crl(bytes(row.der))
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_int) is not None
    assert not PendingPublication.objects.filter(authority=issuer).exists()
    # Pulled again: nothing older is stored over it. (Within a second of a revocation the
    # signer may sign once more: a CRL's times are whole seconds, so it errs on re-signing.)
    for again in remote_crl.pull_from_configured_signer():
        assert again.number > row.number
    latest = PublishedCrl.objects.latest_for(issuer)
    assert latest is not None and latest.number >= row.number


def test_the_worker_s_periodic_pull_renews_a_responder_near_its_end(ra):
    """`connectors.pull_remote_crls`: a remote CA's responder a month from its end is
    certified again by the signer; its new answers verify, the old key is gone."""
    _ask("heidi")
    assert "issued" in run_pipeline(timezone.now())
    issuer = Authority.objects.filter(key_ref__startswith="remote:", role="intermediate").get()
    old = x509.load_der_x509_certificate(bytes(issuer.ocsp_certificate_der))
    old_ref = issuer.ocsp_key_ref
    assert remote_crl.periodic_pull(timezone.now()) is not None
    issuer.refresh_from_db()
    assert issuer.ocsp_key_ref == old_ref  # far from its end: left alone
    remote_crl.periodic_pull(old.not_valid_after_utc - timedelta(days=10))
    issuer.refresh_from_db()
    renewed = x509.load_der_x509_certificate(bytes(issuer.ocsp_certificate_der))
    assert issuer.ocsp_key_ref != old_ref and renewed.serial_number != old.serial_number
    renewed.verify_directly_issued_by(x509.load_der_x509_certificate(bytes(issuer.certificate_der)))
