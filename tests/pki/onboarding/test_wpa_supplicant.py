"""The wpa_supplicant.conf builder: one network block per SSID, credentials inline as blobs."""

from __future__ import annotations

import base64
import re
import socket
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from jitsuin.pki.onboarding import wpa_supplicant
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.peers import require_tool
from tests.pki.factories import TestPki
from tests.pki.onboarding.hostile import HOSTILE_IDENTITY, HOSTILE_SSIDS
from tests.pki.onboarding.inputs import PIN, SERVER_NAME, profile_inputs, server_pki

BLOB = re.compile(r"^blob-base64-(\w+)=\{\n(.*?)\n\}$", re.S | re.M)
NETWORK = re.compile(r"^network=\{\n(.*?)^\}$", re.S | re.M)


def _networks(text: str) -> list[dict[str, str]]:
    return [
        dict(line.strip().split("=", 1) for line in body.splitlines())
        for body in NETWORK.findall(text)
    ]


def _unquote(value: str) -> bytes:
    return value[1:-1].encode() if value.startswith('"') else bytes.fromhex(value)


def test_one_network_block_per_ssid_with_eap_tls_and_the_exact_server_name(inputs):
    built = wpa_supplicant.build(inputs)
    assert (built.filename, built.content_type) == ("wifi-wpa_supplicant.conf", "text/plain")
    networks = _networks(built.data.decode())
    assert [_unquote(n["ssid"]).decode() for n in networks] == list(inputs.ssids)
    for network in networks:
        assert network["key_mgmt"] == "WPA-EAP"
        assert network["eap"] == "TLS"
        assert network["pairwise"] == "CCMP"
        assert network["ieee80211w"] == "1"
        assert network["identity"] == '"s2310042@example.ac.jp"'
        assert network["anonymous_identity"] == '"anonymous@example.ac.jp"'
        assert network["domain_match"] == f'"{SERVER_NAME}"'
        assert network["ca_cert"] == '"blob://jitsuin_server_ca"'
        assert network["private_key"] == '"blob://jitsuin_client_p12"'
        assert network["private_key_passwd"] == f'"{PIN}"'
        assert "client_cert" not in network  # the PKCS#12 blob carries the certificate and chain


def test_the_blobs_are_the_server_ca_and_the_pkcs12_that_opens_with_the_pin(inputs):
    blobs = {
        name: base64.b64decode(body.replace("\n", ""))
        for name, body in BLOB.findall(wpa_supplicant.build(inputs).data.decode())
    }
    assert blobs["jitsuin_server_ca"] == server_pki().ca.public_bytes(serialization.Encoding.PEM)
    opened = load_pkcs12(blobs["jitsuin_client_p12"], PIN)
    assert opened.certificate == inputs.certificate
    assert opened.chain == list(inputs.chain)


def test_lines_stay_short_enough_for_wpa_supplicant(inputs):
    # wpa_supplicant truncates configuration lines at 256 characters.
    assert max(len(line) for line in wpa_supplicant.build(inputs).data.decode().splitlines()) < 200


def test_several_server_names_are_one_semicolon_list(pki: TestPki):
    inputs = profile_inputs(pki, server_names=("radius1.example.ac.jp", "radius2.example.ac.jp"))
    (network, *_) = _networks(wpa_supplicant.build(inputs).data.decode())
    assert network["domain_match"] == '"radius1.example.ac.jp;radius2.example.ac.jp"'


def test_no_anonymous_identity_line_without_a_realm(pki: TestPki):
    inputs = profile_inputs(pki, identity="s2310042", anonymous_identity="")
    assert all(
        "anonymous_identity" not in n for n in _networks(wpa_supplicant.build(inputs).data.decode())
    )


def test_hostile_ssids_and_identities_travel_as_hex_and_cannot_add_lines(pki: TestPki):
    inputs = profile_inputs(pki, ssids=HOSTILE_SSIDS, identity=HOSTILE_IDENTITY)
    networks = _networks(wpa_supplicant.build(inputs).data.decode())
    assert [_unquote(n["ssid"]).decode() for n in networks] == list(HOSTILE_SSIDS)
    assert {_unquote(n["identity"]).decode() for n in networks} == {HOSTILE_IDENTITY}
    assert all(len(n) == len(networks[0]) for n in networks)  # nothing injected


def _hexdumps(log: str) -> dict[str, bytes]:
    """wpa_supplicant's debug dump of each parsed string field: name -> bytes."""
    fields: dict[str, bytes] = {}
    lines = log.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^(\w+) - hexdump_ascii\(len=(\d+)\):$", line)
        if not match:
            continue
        data = b""
        for row in lines[index + 1 :]:
            if not row.startswith("     "):
                break
            data += bytes.fromhex(row[5 : 5 + 16 * 3])
        fields.setdefault(match.group(1), data[: int(match.group(2))])
    return fields


@pytest.mark.peers
def test_eapol_test_reads_hostile_names_back_byte_for_byte(pki: TestPki, tmp_path: Path):
    require_tool("eapol_test")
    inputs = profile_inputs(pki, ssids=HOSTILE_SSIDS[1:2], identity=HOSTILE_IDENTITY)
    conf = tmp_path / "hostile.conf"
    conf.write_bytes(wpa_supplicant.build(inputs).data)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = subprocess.run(
        ["eapol_test", "-c", str(conf), "-a", "127.0.0.1", "-p", str(port), "-s", "x", "-t", "1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "Failed to parse" not in result.stdout + result.stderr
    fields = _hexdumps(result.stdout)
    assert fields["identity"] == HOSTILE_IDENTITY.encode()
    assert fields["anonymous_identity"] == b"anonymous@example.ac.jp"
    assert fields["domain_match"] == SERVER_NAME.encode()
    assert fields["private_key_passwd"] == PIN.encode()
