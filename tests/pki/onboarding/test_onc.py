"""The ChromeOS ONC, decrypted the way Chromium does (onc_decrypt.py), checked field by field."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from jitsuin.pki.onboarding import onc
from tests.peers import require_tool
from tests.pki.factories import TestPki
from tests.pki.onboarding.hostile import HOSTILE_IDENTITY, HOSTILE_SSIDS
from tests.pki.onboarding.inputs import PIN, SERVER_NAME, profile_inputs, server_pki
from tests.pki.onboarding.onc_decrypt import HmacMismatch, decrypt


def _document(inputs) -> dict[str, Any]:
    built = onc.build(inputs)
    assert (built.filename, built.content_type) == ("wifi-chromeos.onc", "application/x-onc")
    document: dict[str, Any] = json.loads(built.data)
    return document


def test_it_decrypts_with_the_pin_and_not_with_another(inputs):
    document = _document(inputs)
    assert document["Iterations"] >= 20000
    assert len(base64.b64decode(document["IV"])) == 16
    assert decrypt(document, PIN)["Type"] == "UnencryptedConfiguration"
    with pytest.raises(HmacMismatch):
        decrypt(document, "abcd-efgh-jkmp")
    assert PIN not in json.dumps(document)


def test_certificates_are_the_unprotected_client_pkcs12_and_the_radius_ca(inputs):
    configuration = decrypt(_document(inputs), PIN)
    client, authority = configuration["Certificates"]
    assert client["Type"] == "Client"
    key, certificate, chain = pkcs12.load_key_and_certificates(
        base64.b64decode(client["PKCS12"]), None
    )
    assert certificate == inputs.certificate
    assert list(chain) == list(inputs.chain)
    assert key is not None and key.private_numbers() == inputs.key.private_numbers()  # type: ignore[union-attr]
    assert authority["Type"] == "Authority"
    assert authority["TrustBits"] == []  # trusted by the networks that name it, not for the web
    assert base64.b64decode(authority["X509"]) == server_pki().ca.public_bytes(
        serialization.Encoding.DER
    )


def test_each_ssid_is_a_wpa_eap_network_referring_to_the_certificates(inputs):
    configuration = decrypt(_document(inputs), PIN)
    client, authority = configuration["Certificates"]
    networks = configuration["NetworkConfigurations"]
    assert [bytes.fromhex(n["WiFi"]["HexSSID"]).decode() for n in networks] == list(inputs.ssids)
    assert len({n["GUID"] for n in networks}) == len(networks)
    for network in networks:
        assert network["Type"] == "WiFi"
        assert bytes.fromhex(network["WiFi"]["HexSSID"]).decode() == network["WiFi"]["SSID"]
        assert network["WiFi"]["Security"] == "WPA-EAP"
        eap = network["WiFi"]["EAP"]
        assert eap["Outer"] == "EAP-TLS"
        assert eap["Identity"] == "s2310042@example.ac.jp"
        assert eap["AnonymousIdentity"] == "anonymous@example.ac.jp"
        assert (eap["ClientCertType"], eap["ClientCertRef"]) == ("Ref", client["GUID"])
        assert eap["ServerCARefs"] == [authority["GUID"]]
        assert eap["UseSystemCAs"] is False
        assert eap["SubjectAlternativeNameMatch"] == [{"Type": "DNS", "Value": SERVER_NAME}]


def test_the_same_inputs_keep_the_same_guids_but_fresh_salt_and_iv(inputs):
    first, second = _document(inputs), _document(inputs)
    assert (first["Salt"], first["IV"]) != (second["Salt"], second["IV"])
    guids = [
        [
            c["GUID"]
            for c in decrypt(d, PIN)["Certificates"] + decrypt(d, PIN)["NetworkConfigurations"]
        ]
        for d in (first, second)
    ]
    assert guids[0] == guids[1]


def test_hostile_names_survive_as_json(pki: TestPki):
    inputs = profile_inputs(pki, ssids=HOSTILE_SSIDS, identity=HOSTILE_IDENTITY)
    configuration = decrypt(_document(inputs), PIN)
    networks = configuration["NetworkConfigurations"]
    assert [n["Name"] for n in networks] == list(HOSTILE_SSIDS)
    assert [bytes.fromhex(n["WiFi"]["HexSSID"]).decode() for n in networks] == list(HOSTILE_SSIDS)
    assert {n["WiFi"]["EAP"]["Identity"] for n in networks} == {HOSTILE_IDENTITY}


@pytest.mark.peers
def test_nss_imports_the_client_pkcs12_with_an_empty_password(inputs, tmp_path: Path):
    # ChromeOS hands the ONC's PKCS12 to NSS with an empty password.
    pk12util, certutil = require_tool("pk12util"), require_tool("certutil")
    (client, *_) = decrypt(_document(inputs), PIN)["Certificates"]
    (tmp_path / "client.p12").write_bytes(base64.b64decode(client["PKCS12"]))
    database = f"sql:{tmp_path}"
    subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True)
    imported = subprocess.run(
        [pk12util, "-i", str(tmp_path / "client.p12"), "-d", database, "-W", ""],
        capture_output=True,
        text=True,
    )
    assert "PKCS12 IMPORT SUCCESSFUL" in imported.stdout, imported.stdout + imported.stderr
    keys = subprocess.run([certutil, "-K", "-d", database], capture_output=True, text=True)
    assert keys.returncode == 0 and "ec" in keys.stdout.lower()
