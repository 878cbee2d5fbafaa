"""The generated Linux profiles against a real FreeRADIUS (EAP-TLS, CRL checking), via eapol_test.

The wpa_supplicant.conf goes to eapol_test as built (eapol_test reads the same format and uses
the first network block); the NetworkManager keyfile is translated key by key into an
eapol_test config. Each scenario is one radiusd started with the eap module documented in
docs/relying-parties.md: the fresh certificate is accepted, the same one is refused once a CRL
lists it, and the profiles refuse a RADIUS server whose certificate carries another name.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import RevokedEntry, build_crl
from jitsuin.pki.onboarding import ProfileInputs, networkmanager, wpa_supplicant
from tests.interop.test_freeradius import SITE, _free_port
from tests.peers import require_tool
from tests.pki.factories import TestPki, cached_key, shared_pki
from tests.pki.onboarding.inputs import (
    OTHER_SERVER_NAME,
    SERVER_NAME,
    profile_inputs,
    server_pki,
)
from tests.revocation.live import doc_block

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


def _start_radius(directory: Path, person: Person, *, server_names: tuple[str, ...], revoked: bool):
    """radiusd on a free loopback port: the documented eap module, the given server name, CRLs."""
    program = require_tool("freeradius")
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
    conf = directory / "radius"
    shutil.copytree("/etc/freeradius/3.0", conf, symlinks=True)
    eap = (
        doc_block("freeradius-eap-crl")
        .replace("/etc/freeradius/3.0/certs/server.key", str(directory / "server.key"))
        .replace("/etc/freeradius/3.0/certs/server.pem", str(directory / "server.pem"))
        .replace("/etc/jitsuin", str(directory / "jitsuin"))
    )
    (conf / "mods-available" / "eap").write_text(eap)
    for site in ("default", "inner-tunnel"):
        (conf / "sites-enabled" / site).unlink(missing_ok=True)
    port = _free_port()
    (conf / "sites-enabled" / "eaptls").write_text(SITE.format(port=port))
    radiusd = (conf / "radiusd.conf").read_text()
    radiusd = radiusd.replace("\tuser = freerad", "\t#user = freerad").replace(
        "\tgroup = freerad", "\t#group = freerad"
    )
    (conf / "radiusd.conf").write_text(radiusd)
    log_path = conf / "radius.log"
    log = open(log_path, "w")  # noqa: SIM115 (lives as long as the server)
    process = subprocess.Popen(
        [program, "-X", "-d", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    for _ in range(100):
        if "Ready to process requests" in log_path.read_text() or process.poll() is not None:
            break
        time.sleep(0.1)
    if process.poll() is not None:
        log.close()
        pytest.fail("radiusd did not start:\n" + log_path.read_text()[-3000:])
    return process, port, log


def _radius_fixture(server_names: tuple[str, ...], *, revoked: bool):
    @pytest.fixture(scope="module")
    def radius(person: Person, tmp_path_factory: pytest.TempPathFactory):
        directory = tmp_path_factory.mktemp("radius")
        process, port, log = _start_radius(
            directory, person, server_names=server_names, revoked=revoked
        )
        yield port
        process.terminate()
        process.wait(timeout=10)
        log.close()

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


def wpa_conf(person: Person) -> str:
    """The built wpa_supplicant.conf, as the user gets it."""
    return wpa_supplicant.build(person.inputs).data.decode()


def keyfile_as_eapol_conf(keyfile: str) -> str:
    """A NetworkManager keyfile's 802-1x settings, mechanically, as an eapol_test network block."""
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(keyfile)
    dot1x = parser["802-1x"]
    blobs, lines = [], []

    def blob(key: str) -> str:
        value = dot1x[key]
        assert value.startswith("data:;base64,"), f"{key} is not an inline blob"
        name = key.replace("-", "_")
        wrapped = "\n".join(textwrap.wrap(value.removeprefix("data:;base64,"), 64))
        blobs.append(f"blob-base64-{name}={{\n{wrapped}\n}}\n")  # lines < 256 characters
        return f'"blob://{name}"'

    translation = {
        "identity": "identity",
        "anonymous-identity": "anonymous_identity",
        "private-key-password": "private_key_passwd",
        "domain-match": "domain_match",
        "domain-suffix-match": "domain_suffix_match",
    }
    assert dot1x["eap"].rstrip(";") == "tls"
    lines.append("eap=TLS")
    for nm_key, wpa_key in translation.items():
        if nm_key in dot1x:
            lines.append(f"{wpa_key}={wpa_supplicant.quoted(dot1x[nm_key])}")
    lines.append(f"ca_cert={blob('ca-cert')}")
    if dot1x["client-cert"] != dot1x["private-key"]:  # NetworkManager passes a PKCS#12 once
        lines.append(f"client_cert={blob('client-cert')}")
    lines.append(f"private_key={blob('private-key')}")
    assert parser["wifi-security"]["key-mgmt"] == "wpa-eap"
    lines.append("key_mgmt=WPA-EAP")
    return "".join(blobs) + "network={\n" + "".join(f"\t{x}\n" for x in lines) + "}\n"


def nm_conf(person: Person) -> str:
    built = networkmanager.build(person.inputs)
    keyfile = networkmanager.keyfiles(person.inputs)[0][1].decode()
    assert built.data  # the download itself (a zip for several SSIDs) is covered by unit tests
    return keyfile_as_eapol_conf(keyfile)


def without_server_name_check(conf: str) -> str:
    return "".join(
        line
        for line in conf.splitlines(keepends=True)
        if not line.lstrip().startswith(("domain_match=", "domain_suffix_match="))
    )


def test_wpa_supplicant_profile_is_accepted_with_the_fresh_certificate(
    person, radius_fresh, tmp_path
):
    assert eapol_test(wpa_conf(person), radius_fresh, tmp_path) == "SUCCESS"


def test_networkmanager_profile_is_accepted_with_the_fresh_certificate(
    person, radius_fresh, tmp_path
):
    assert eapol_test(nm_conf(person), radius_fresh, tmp_path) == "SUCCESS"


def test_wpa_supplicant_profile_is_refused_once_the_crl_lists_it(person, radius_revoked, tmp_path):
    assert eapol_test(wpa_conf(person), radius_revoked, tmp_path) == "FAILURE"


def test_networkmanager_profile_is_refused_once_the_crl_lists_it(person, radius_revoked, tmp_path):
    assert eapol_test(nm_conf(person), radius_revoked, tmp_path) == "FAILURE"


def test_profiles_refuse_a_server_with_another_name(person, radius_other_name, tmp_path):
    assert eapol_test(wpa_conf(person), radius_other_name, tmp_path) == "FAILURE"
    assert eapol_test(nm_conf(person), radius_other_name, tmp_path) == "FAILURE"
    # The same server passes once the name check is taken out: the name is what refused it.
    assert (
        eapol_test(without_server_name_check(wpa_conf(person)), radius_other_name, tmp_path)
        == "SUCCESS"
    )
    assert (
        eapol_test(without_server_name_check(nm_conf(person)), radius_other_name, tmp_path)
        == "SUCCESS"
    )
