"""Profile inputs for the onboarding builders, from the test PKI plus a RADIUS server's own CA."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jitsuin.pki.keys import PrivateKey
from jitsuin.pki.onboarding import Helpdesk, ProfileInputs
from jitsuin.pki.pkcs12 import Pkcs12Profile, build_pkcs12
from tests.pki.factories import TestPki, cached_key

PIN = "abcd-efgh-jkmn"
SERVER_NAME = "radius.example.ac.jp"
OTHER_SERVER_NAME = "radius.example.net"


@dataclass(frozen=True)
class ServerPki:
    """The RADIUS server's CA (not jitsuin's) and a server certificate per name."""

    ca: x509.Certificate
    ca_key: PrivateKey

    def server(self, *names: str) -> tuple[x509.Certificate, PrivateKey]:
        key = cached_key("p256", "radius server " + ",".join(names))
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        return certificate, key


@functools.cache
def server_pki() -> ServerPki:
    key = cached_key("p256", "radius server ca")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Campus RADIUS CA")])
    now = datetime.now(UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return ServerPki(ca=ca, ca_key=key)


def profile_inputs(
    pki: TestPki,
    *,
    certificate: x509.Certificate | None = None,
    key: PrivateKey | None = None,
    ssids: tuple[str, ...] = ("eduroam", "Example-WiFi"),
    identity: str = "s2310042@example.ac.jp",
    anonymous_identity: str = "anonymous@example.ac.jp",
    server_names: tuple[str, ...] = (SERVER_NAME,),
    institution: str = "Example University",
    pin: str = PIN,
) -> ProfileInputs:
    """A person's inputs: their compatible PKCS#12 under ``pin``, the RADIUS CA and names."""
    key = key or cached_key("p256")
    certificate = certificate or pki.client(key=key)
    chain = (pki.intermediate.certificate,)
    return ProfileInputs(
        key=key,
        certificate=certificate,
        chain=chain,
        pkcs12=build_pkcs12(
            key=key,
            certificate=certificate,
            chain=chain,
            pin=pin,
            friendly_name=identity,
            profile=Pkcs12Profile.COMPATIBLE,
        ),
        pin=pin,
        identity=identity,
        anonymous_identity=anonymous_identity,
        ssids=ssids,
        server_names=server_names,
        server_cas=(server_pki().ca,),
        institution=institution,
        helpdesk=Helpdesk(email="help@example.ac.jp", url="https://help.example.ac.jp"),
        identifier="jp.ac.example.wifi",
        realm="example.ac.jp",
    )
