"""The offline root's vault and ceremony (jitsuin.pki.offline): no database anywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from jitsuin.pki.crl import crl_number_of
from jitsuin.pki.keys import KeySpec
from jitsuin.pki.offline import (
    MAX_DOCUMENT_BYTES,
    OfflineError,
    Vault,
    crl_from,
    document,
    init_vault,
    open_vault,
    read_document,
    root_fingerprint,
    sign,
)
from tests.pki.factories import ca_name, cached_key, clock_at

PASSPHRASE = b"correct horse battery staple"
AT = clock_at(datetime(2026, 6, 1, tzinfo=UTC))


@pytest.fixture
def made(tmp_path: Path) -> tuple[Vault, dict[str, object]]:
    doc = init_vault(
        tmp_path / "vault",
        subject=ca_name("Offline Root"),
        name="Offline Root",
        slug="offline-root",
        public_url="http://pki.example.ac.jp",
        key_spec=KeySpec.parse("p384"),
        passphrase=PASSPHRASE,
        clock=AT,
    )
    return open_vault(tmp_path / "vault", PASSPHRASE), doc


def _intermediate_request(vault: Vault) -> dict[str, object]:
    key = cached_key("p384", "offline-intermediate")
    csr = x509.CertificateSigningRequestBuilder().subject_name(ca_name("Client CA G1"))
    signed = csr.sign(key, hashes.SHA384())
    return document(
        "intermediate-request",
        root_fingerprint=root_fingerprint(vault.signer.certificate),
        name="Client CA G1",
        key_ref="file:client-ca-g1-0123",
        csr_pem=signed.public_bytes(serialization.Encoding.PEM).decode(),
    )


def test_init_makes_an_encrypted_key_a_root_and_its_first_long_crl(made) -> None:
    vault, doc = made
    key_pem = (vault.directory / "root-key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in key_pem
    assert (vault.directory / "root-key.pem").stat().st_mode & 0o077 == 0
    root = x509.load_pem_x509_certificate(str(doc["certificate_pem"]).encode())
    assert root == vault.signer.certificate
    crl = crl_from(doc)
    assert crl_number_of(crl) == 1 and crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc - crl.last_update_utc == timedelta(days=180)


def test_an_intermediate_request_is_signed_with_the_root_s_urls(made) -> None:
    vault, _ = made
    answer = sign(vault, _intermediate_request(vault), clock=AT)
    assert answer["kind"] == "intermediate" and answer["key_ref"] == "file:client-ca-g1-0123"
    certificate = x509.load_pem_x509_certificate(str(answer["certificate_pem"]).encode())
    certificate.verify_directly_issued_by(vault.signer.certificate)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "http://pki.example.ac.jp/crl/offline-root.crl"


def test_a_crl_request_lists_the_revoked_and_numbers_go_up(made) -> None:
    vault, _ = made
    request = document(
        "crl-request",
        root_fingerprint=root_fingerprint(vault.signer.certificate),
        after_number=1,
        entries=[
            {"serial": 1234, "revoked_at": "2026-05-31T00:00:00+09:00", "reason": "superseded"}
        ],
    )
    first = crl_from(sign(vault, request, clock=AT))
    assert crl_number_of(first) == 2
    assert first.get_revoked_certificate_by_serial_number(1234) is not None
    again = crl_from(sign(open_vault(vault.directory, PASSPHRASE), request, clock=AT))
    assert crl_number_of(again) == 3  # the vault remembers its last number


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"root_fingerprint": "00" * 32}, "another root"),
        ({"csr_pem": "not a CSR"}, "no readable certificate signing request"),
        ({"validity_days": -1}, "validity_days"),
        ({"kind": "crl"}, "an answer, not a request"),
    ],
)
def test_a_request_that_cannot_be_signed_says_why(made, change, message) -> None:
    vault, _ = made
    with pytest.raises(OfflineError, match=message):
        sign(vault, {**_intermediate_request(vault), **change}, clock=AT)


def test_a_wrong_passphrase_opens_nothing(made) -> None:
    vault, _ = made
    with pytest.raises(OfflineError, match="passphrase does not open"):
        open_vault(vault.directory, b"not the passphrase at all")


def test_a_vault_is_made_only_in_an_empty_directory_with_a_long_passphrase(tmp_path) -> None:
    arguments = dict(
        subject=ca_name("R"),
        name="R",
        slug="r",
        public_url="http://x.example",
        key_spec=KeySpec.parse("p256"),
        clock=AT,
    )
    with pytest.raises(OfflineError, match="at least 12"):
        init_vault(tmp_path / "v", passphrase=b"short", **arguments)  # type: ignore[arg-type]
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(OfflineError, match="not empty"):
        init_vault(tmp_path / "used", passphrase=PASSPHRASE, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"x" * (MAX_DOCUMENT_BYTES + 1), "at most"),
        (b"\xff\xfe", "JSON expected"),
        (b"[1, 2]", "format"),
        (json.dumps({"format": "jitsuin-offline/1", "kind": "bogus"}).encode(), "expected"),
    ],
)
def test_documents_are_checked_before_anything_is_read(data, message) -> None:
    with pytest.raises(OfflineError, match=message):
        read_document(data)
