"""Every built Wi-Fi profile against a real FreeRADIUS (EAP-TLS, CRL checking), via eapol_test.

The wpa_supplicant.conf goes to eapol_test as built (eapol_test reads the same format and uses
the first network block); the NetworkManager keyfile, the Windows zip, the ChromeOS ONC, the
geteduroam eap-config and the signed Apple profile are translated setting by setting into an
eapol_test config (onboarding_translate.py). Each scenario is one radiusd with the eap module
documented in docs/relying-parties.md: the fresh certificate is accepted, the same one is
refused once a CRL lists it, and every profile refuses a RADIUS server whose certificate
carries another name.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import RevokedEntry, build_crl
from jitsuin.pki.onboarding import ProfileInputs
from tests.interop.onboarding_translate import TRANSLATIONS, without_server_name_check
from tests.interop.radius import RadiusServer, eap_module, start_radius
from tests.peers import require_tool
from tests.pki.factories import TestPki, cached_key, shared_pki
from tests.pki.onboarding.inputs import (
    OTHER_SERVER_NAME,
    SERVER_NAME,
    profile_inputs,
    server_pki,
)

pytestmark = pytest.mark.peers

SECRET = "testing123"


@dataclass(frozen=True)
class Person:
    pki: TestPki
    inputs: ProfileInputs


@pytest.fixture(scope="module")
def person() -> Person:
    pki = shared_pki()
    now = datetime.now(UTC) - timedelta(hours=1)
    key = cached_key("p256", "onboarding radius person")
    certificate = pki.client(key=key, at=now, uid="s2399001", email="s2399001@example.ac.jp")
    return Person(pki, profile_inputs(pki, key=key, certificate=certificate))


def _pem(obj: x509.Certificate | x509.CertificateRevocationList) -> bytes:
    return obj.public_bytes(serialization.Encoding.PEM)


def _start_radius(
    directory: Path, person: Person, *, server_names: tuple[str, ...], revoked: bool
) -> RadiusServer:
    """radiusd on a free loopback port: the documented eap module, the given server name, CRLs."""
    require_tool("freeradius")
    require_tool("eapol_test")
    require_tool("openssl")
    pki, now = person.pki, datetime.now(UTC)
    entries = (
        [RevokedEntry(person.inputs.certificate.serial_number, now - timedelta(minutes=5))]
        if revoked
        else []
    )
    hashed = directory / "jitsuin" / "hashed"
    hashed.mkdir(parents=True)
    (directory / "jitsuin" / "roots.pem").write_bytes(_pem(pki.root.certificate))
    (hashed / "root.pem").write_bytes(_pem(pki.root.certificate))
    for name, signer, listed in (("root", pki.root, []), ("client-ca", pki.intermediate, entries)):
        crl = build_crl(signer, listed, crl_number=2 if listed else 1, clock=FixedClock(now))
        (hashed / f"{name}.crl.pem").write_bytes(_pem(crl))
    subprocess.run(["openssl", "rehash", str(hashed)], check=True, capture_output=True)
    certificate, key = server_pki().server(*server_names)
    (directory / "server.pem").write_bytes(_pem(certificate) + _pem(server_pki().ca))
    (directory / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    eap = eap_module("crl", certs=directory, jitsuin=directory / "jitsuin")
    return start_radius(directory / "radius", eap=eap)


def _radius_fixture(server_names: tuple[str, ...], *, revoked: bool):
    @pytest.fixture(scope="module")
    def radius(person: Person, tmp_path_factory: pytest.TempPathFactory):
        directory = tmp_path_factory.mktemp("radius")
        server = _start_radius(directory, person, server_names=server_names, revoked=revoked)
        yield server.port
        server.stop()

    return radius


radius_fresh = _radius_fixture((SERVER_NAME,), revoked=False)
radius_revoked = _radius_fixture((SERVER_NAME,), revoked=True)
radius_other_name = _radius_fixture((OTHER_SERVER_NAME,), revoked=False)


def eapol_test(conf: str, port: int, tmp_path: Path) -> str:
    """eapol_test's verdict (SUCCESS or FAILURE) for the first network block of ``conf``."""
    path = tmp_path / f"eapol-{port}-{abs(hash(conf))}.conf"
    path.write_text(conf)
    path.chmod(0o600)
    result = subprocess.run(
        [
            "eapol_test",
            "-c",
            str(path),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-s",
            SECRET,
            "-t",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    path.with_suffix(".log").write_text(result.stdout + result.stderr)  # kept for a failure
    return result.stdout.strip().splitlines()[-1]


FORMATS = pytest.mark.parametrize("profile_format", sorted(TRANSLATIONS))


def conf_for(person: Person, profile_format: str) -> str:
    return TRANSLATIONS[profile_format](person.inputs)


@FORMATS
def test_the_fresh_certificate_is_accepted(person, radius_fresh, tmp_path, profile_format):
    assert eapol_test(conf_for(person, profile_format), radius_fresh, tmp_path) == "SUCCESS"


@FORMATS
def test_it_is_refused_once_the_crl_lists_it(person, radius_revoked, tmp_path, profile_format):
    assert eapol_test(conf_for(person, profile_format), radius_revoked, tmp_path) == "FAILURE"


@FORMATS
def test_a_server_with_another_name_is_refused(person, radius_other_name, tmp_path, profile_format):
    conf = conf_for(person, profile_format)
    assert eapol_test(conf, radius_other_name, tmp_path) == "FAILURE"
    # The same server passes once the name check is taken out: the name is what refused it.
    assert eapol_test(without_server_name_check(conf), radius_other_name, tmp_path) == "SUCCESS"
