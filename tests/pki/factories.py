"""A test PKI built by the pki core itself, pinned to named instants.

Nothing here is pasted PEM: the root, the issuing intermediate, its delegated OCSP
responder and every client certificate are made by ``jitsuin.pki`` with a
:class:`FixedClock`, so tests read as "at EVERYTHING_VALID, ..." rather than "now".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import RevokedEntry, build_crl
from jitsuin.pki.issuance import PublicUrls, Signer, create_root, issue_certificate
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.names import person_subject
from jitsuin.pki.ocsp import CertStatus, SingleStatus, build_response, cert_id_for
from jitsuin.pki.profiles import (
    CLIENT_AUTH,
    INTERMEDIATE_CA,
    OCSP_SIGNER,
    CertificateProfile,
)

# Named instants. The hierarchy is born at PKI_BORN; everything is fresh at EVERYTHING_VALID.
PKI_BORN = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
EVERYTHING_VALID = datetime(2025, 6, 2, 10, 30, tzinfo=UTC)
# The client certificates (730 days from EVERYTHING_VALID) are past their notAfter.
AFTER_CLIENTS_EXPIRED = EVERYTHING_VALID + timedelta(days=731)
# Ten years after PKI_BORN less 100 days: the intermediate has fewer days left than a client lives.
INTERMEDIATE_NEARLY_EXPIRED = PKI_BORN + timedelta(days=10 * 365 - 100)
# After the intermediate itself expired.
AFTER_INTERMEDIATE_EXPIRED = PKI_BORN + timedelta(days=10 * 365 + 1)

PUBLIC_URL = "https://pki.example.ac.jp"
URLS = PublicUrls(PUBLIC_URL)
ORGANIZATION = "Example University"


def ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@functools.cache
def cached_key(spec: str, tag: str = "") -> PrivateKey:
    """A private key of ``spec`` (``rsa2048``, ``p256``, ...); the same one for the same tag.

    RSA generation is slow; tests that need distinct keys pass distinct tags.
    """
    del tag
    return generate_private_key(KeySpec.parse(spec))


def clock_at(at: datetime) -> FixedClock:
    return FixedClock(at)


@dataclass(frozen=True)
class TestPki:
    """Root -> issuing intermediate (pathLen 0) -> clients; plus the delegated OCSP responder."""

    __test__ = False  # not a pytest test class

    root: Signer
    intermediate: Signer
    ocsp: Signer
    urls: PublicUrls = field(default=URLS)

    def client(
        self,
        *,
        uid: str = "s2310042",
        name: str = "Hanako Yamada",
        email: str | None = "s2310042@example.ac.jp",
        key: PrivateKey | None = None,
        key_spec: str = "p256",
        profile: CertificateProfile = CLIENT_AUTH,
        at: datetime = EVERYTHING_VALID,
        serial: int | None = None,
    ) -> x509.Certificate:
        """An end-entity certificate issued by the intermediate at instant ``at``."""
        key = key or cached_key(key_spec)
        return issue_certificate(
            profile=profile,
            subject=person_subject(common_name=name, uid=uid, organization=ORGANIZATION),
            public_key=key.public_key(),
            signer=self.intermediate,
            clock=clock_at(at),
            urls=self.urls,
            email=email,
            serial=serial,
        )

    def crl(
        self,
        entries: list[RevokedEntry] | None = None,
        *,
        signer: Signer | None = None,
        number: int = 1,
        at: datetime = EVERYTHING_VALID,
    ) -> x509.CertificateRevocationList:
        return build_crl(
            signer or self.intermediate, entries or [], crl_number=number, clock=clock_at(at)
        )

    def ocsp_response(
        self,
        certificate: x509.Certificate,
        answer: SingleStatus | None = None,
        *,
        nonce: bytes | None = None,
        at: datetime = EVERYTHING_VALID,
    ) -> bytes:
        return build_response(
            cert_id_for(certificate.serial_number, self.intermediate.certificate),
            answer or SingleStatus(CertStatus.GOOD),
            responder=self.ocsp,
            this_update=at,
            nonce=nonce,
        )

    @property
    def chain(self) -> list[x509.Certificate]:
        """What a PKCS#12 carries beside the leaf: intermediate first, then the root."""
        return [self.intermediate.certificate, self.root.certificate]


def build_test_pki(
    *,
    ca_key_spec: str = "p384",
    ocsp_key_spec: str = "p256",
    born: datetime = PKI_BORN,
    intermediate_profile: CertificateProfile = INTERMEDIATE_CA,
    label: str = "",
    ca_keys: Callable[[str, str], PrivateKey] = cached_key,
) -> TestPki:
    """A fresh hierarchy made by the core, as ``jitsuin ca init`` would make it. ``ca_keys``
    makes the CA keys (``(spec, tag) -> key``): cached software keys, or keys in a token."""
    clock = clock_at(born)
    root_key = ca_keys(ca_key_spec, "root" + label)
    root_cert = create_root(ca_name(f"Example Univ Test Root CA{label}"), root_key, clock)
    root = Signer(root_cert, root_key, "test-root")
    inter_key = ca_keys(ca_key_spec, "intermediate" + label)
    inter_cert = issue_certificate(
        profile=intermediate_profile,
        subject=ca_name(f"Example Univ Client CA G1{label}"),
        public_key=inter_key.public_key(),
        signer=root,
        clock=clock,
        urls=URLS,
    )
    intermediate = Signer(inter_cert, inter_key, "client-ca-g1")
    ocsp_key = cached_key(ocsp_key_spec, "ocsp" + label)
    ocsp_cert = issue_certificate(
        profile=OCSP_SIGNER,
        subject=ca_name(f"Example Univ Client CA G1{label} OCSP Responder"),
        public_key=ocsp_key.public_key(),
        signer=intermediate,
        clock=clock,
        urls=URLS,
    )
    return TestPki(root=root, intermediate=intermediate, ocsp=Signer(ocsp_cert, ocsp_key, "ocsp"))


@functools.cache
def shared_pki() -> TestPki:
    """One hierarchy for the whole session (ECDSA P-384 CAs, as the default install)."""
    return build_test_pki()


@functools.cache
def shared_rsa_pki() -> TestPki:
    """A hierarchy with RSA CAs, to cover RSA signatures on certificates, CRLs and OCSP."""
    return build_test_pki(ca_key_spec="rsa3072", ocsp_key_spec="rsa2048", label=" RSA")


def pem(obj: x509.Certificate | x509.CertificateRevocationList) -> bytes:
    return obj.public_bytes(serialization.Encoding.PEM)


def der(obj: x509.Certificate | x509.CertificateRevocationList) -> bytes:
    return obj.public_bytes(serialization.Encoding.DER)


def csr_for(
    key: PrivateKey, common_name: str = "whatever the user typed"
) -> x509.CertificateSigningRequest:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )


@functools.cache
def weak_rsa_key() -> rsa.RSAPrivateKey:
    """RSA-1024: what the core must refuse everywhere."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505


def verify_ocsp_signature(response: ocsp.OCSPResponse, signer: x509.Certificate) -> None:
    """Raise unless ``signer``'s key made ``response``'s signature (ECDSA or RSA PKCS#1 v1.5)."""
    public_key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    assert algorithm is not None
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
    else:
        assert isinstance(public_key, rsa.RSAPublicKey)
        public_key.verify(
            response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm
        )
