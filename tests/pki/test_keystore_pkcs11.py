"""CA keys in a PKCS#11 token (SoftHSM2): made in the token, signing through it, never out."""

from __future__ import annotations

import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp

from jitsuin.pki.crl import RevokedEntry, build_crl
from jitsuin.pki.issuance import Signer, create_root, issue_certificate
from jitsuin.pki.keys import KeySpec
from jitsuin.pki.keystore import KeyStore, KeyStoreError
from jitsuin.pki.keystore_pkcs11 import Pkcs11KeyStore
from jitsuin.pki.ocsp import CertStatus, SingleStatus, build_response, cert_id_for
from jitsuin.pki.profiles import CLIENT_AUTH, INTERMEDIATE_CA
from tests.pki.factories import URLS, ca_name, cached_key, clock_at
from tests.pki.softhsm import softhsm_token

NOW = clock_at(datetime(2026, 6, 1, tzinfo=UTC))


@pytest.fixture
def store() -> Pkcs11KeyStore:
    token = softhsm_token()
    return Pkcs11KeyStore(token.module, token.label, token.pin)


def _label() -> str:
    return f"test-{secrets.token_hex(4)}"


def test_the_token_store_fits_the_key_store_interface(store: Pkcs11KeyStore) -> None:
    typed: KeyStore = store
    assert typed.exists("pkcs11:object=nothing-here;id=0000000000000000") is False


@pytest.mark.parametrize(
    ("spec", "kind", "digest"),
    [
        ("p384", ec.EllipticCurvePrivateKey, hashes.SHA384),
        ("p256", ec.EllipticCurvePrivateKey, hashes.SHA256),
        ("rsa3072", rsa.RSAPrivateKey, hashes.SHA256),
    ],
)
def test_a_hierarchy_signed_in_the_token_verifies(
    store: Pkcs11KeyStore, spec: str, kind: type, digest: type
) -> None:
    root_key = store.get(store.generate(KeySpec.parse(spec), _label()))
    assert isinstance(root_key, kind)
    root = create_root(ca_name("Token Root"), root_key, NOW)
    inter_key = store.get(store.generate(KeySpec.parse(spec), _label()))
    inter_cert = issue_certificate(
        profile=INTERMEDIATE_CA,
        subject=ca_name("Token Issuing CA"),
        public_key=inter_key.public_key(),
        signer=Signer(root, root_key, "root"),
        clock=NOW,
        urls=URLS,
    )
    inter_cert.verify_directly_issued_by(root)
    assert isinstance(inter_cert.signature_hash_algorithm, digest)
    intermediate = Signer(inter_cert, inter_key, "inter")
    leaf = issue_certificate(
        profile=CLIENT_AUTH,
        subject=x509.Name.from_rfc4514_string("CN=taro"),
        public_key=cached_key("p256", "leaf").public_key(),
        signer=intermediate,
        clock=NOW,
        urls=URLS,
        email="taro@example.ac.jp",
    )
    leaf.verify_directly_issued_by(inter_cert)
    crl = build_crl(
        intermediate,
        [
            RevokedEntry(
                serial=leaf.serial_number,
                revoked_at=NOW.now(),
                reason=x509.ReasonFlags.key_compromise,
            )
        ],
        crl_number=1,
        clock=NOW,
    )
    assert crl.is_signature_valid(inter_key.public_key())  # type: ignore[arg-type]
    answer = ocsp.load_der_ocsp_response(
        build_response(
            cert_id_for(leaf.serial_number, inter_cert),
            SingleStatus(CertStatus.GOOD),
            responder=intermediate,
            this_update=NOW.now(),
            validity=timedelta(hours=1),
        )
    )
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD


def test_the_private_key_never_leaves_the_token(store: Pkcs11KeyStore) -> None:
    import pkcs11
    from pkcs11.exceptions import AttributeSensitive

    ref = store.generate(KeySpec.parse("p256"), _label())
    key = store.get(ref)
    with pytest.raises(KeyStoreError, match="cannot be exported"):
        key.private_bytes()  # type: ignore[call-arg]
    with pytest.raises(KeyStoreError, match="cannot be exported"):
        key.private_numbers()
    handle = key._handle  # type: ignore[union-attr]
    # C_GetAttributeValue on the key's value is refused by the token itself.
    with pytest.raises(AttributeSensitive):
        handle[pkcs11.Attribute.VALUE]
    assert handle[pkcs11.Attribute.SENSITIVE] is True
    assert handle[pkcs11.Attribute.EXTRACTABLE] is False
    assert handle[pkcs11.Attribute.NEVER_EXTRACTABLE] is True


def test_keys_are_found_by_reference_and_destroyed(store: Pkcs11KeyStore) -> None:
    ref = store.generate(KeySpec.parse("p256"), "Root CA: Example/Univ")
    assert ref.startswith("pkcs11:object=Root-CA-Example-Univ;id=")
    assert store.exists(ref)
    store.destroy(ref)
    assert not store.exists(ref)
    with pytest.raises(KeyStoreError, match="is not in token"):
        store.get(ref)
    store.destroy(ref)  # a missing key is not an error


@pytest.mark.parametrize("ref", ["file:x", "pkcs11:object=x", "pkcs11:object=../x;id=00", "x"])
def test_a_reference_of_another_store_is_refused(store: Pkcs11KeyStore, ref: str) -> None:
    with pytest.raises(KeyStoreError, match="not a key reference"):
        store.get(ref)


def test_the_token_store_never_imports_a_key(store: Pkcs11KeyStore) -> None:
    with pytest.raises(KeyStoreError, match="never imports"):
        store.put(cached_key("p256", "leaf"), "imported")


def _open_in_a_fresh_process(token: object, label: str, pin: str) -> str:
    """A process logs a token in once: a wrong PIN is tried where nothing is logged in."""
    script = (
        "import sys\n"
        "from jitsuin.pki.keystore import KeyStoreError\n"
        "from jitsuin.pki.keystore_pkcs11 import Pkcs11KeyStore\n"
        "try:\n"
        "    Pkcs11KeyStore(sys.argv[1], sys.argv[2], sys.argv[3]).session()\n"
        "except KeyStoreError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(token.module), label, pin],  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_a_wrong_pin_or_token_names_the_setting() -> None:
    token = softhsm_token()
    assert "JITSUIN_PKCS11_PIN_FILE" in _open_in_a_fresh_process(token, token.label, "00000000")
    assert "JITSUIN_PKCS11_TOKEN" in _open_in_a_fresh_process(token, "no-such-token", token.pin)
    assert _open_in_a_fresh_process(token, token.label, token.pin) == ""
