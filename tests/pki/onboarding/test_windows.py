"""The Windows zip: WLAN profiles (EAP-TLS), the PKCS#12, the RADIUS CA, install.cmd, README."""

from __future__ import annotations

import hashlib
import io
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from defusedxml import ElementTree as ET

from jitsuin.pki.onboarding import windows
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.pki.factories import TestPki
from tests.pki.onboarding.hostile import HOSTILE_SSIDS
from tests.pki.onboarding.inputs import PIN, SERVER_NAME, profile_inputs, server_pki

NS = {
    "w": windows.WLAN_NS,
    "onex": windows.ONEX_NS,
    "host": windows.EAPHOST_NS,
    "common": windows.EAPCOMMON_NS,
    "base": windows.BASE_EAP_NS,
    "tls": windows.TLS_NS,
    "tls2": windows.TLS_V2_NS,
}


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_holds_the_installer_the_pkcs12_the_ca_and_one_profile_per_ssid(inputs):
    built = windows.build(inputs)
    assert (built.filename, built.content_type) == ("wifi-windows.zip", "application/zip")
    members = _members(built.data)
    assert list(members) == [
        "README.txt",
        "install.cmd",
        "wifi-client.p12",
        "radius-ca-1.cer",
        "wifi-1-eduroam.xml",
        "wifi-2-Example-WiFi.xml",
    ]
    assert load_pkcs12(members["wifi-client.p12"], PIN).certificate == inputs.certificate
    assert x509.load_der_x509_certificate(members["radius-ca-1.cer"]) == server_pki().ca


def test_the_pin_is_written_nowhere_in_the_zip(inputs):
    built = windows.build(inputs)
    assert PIN.encode() not in built.data
    for name, data in _members(built.data).items():
        for encoding in ("utf-8", "utf-16-le"):
            assert PIN.encode(encoding) not in data, name


def test_install_cmd_lets_certutil_ask_for_the_pin_and_adds_each_profile(inputs):
    script = _members(windows.build(inputs).data)["install.cmd"]
    assert b"\r\n" in script and b"\n" not in script.replace(b"\r\n", b"")
    text = script.decode("ascii")
    assert 'certutil -user -importpfx "wifi-client.p12"' in text
    assert " -p " not in text
    assert 'certutil -user -addstore Root "radius-ca-1.cer"' in text
    for name in ("wifi-1-eduroam.xml", "wifi-2-Example-WiFi.xml"):
        assert f'netsh wlan add profile filename="{name}" user=current' in text


def test_readme_is_japanese_and_english_for_notepad(inputs):
    readme = _members(windows.build(inputs).data)["README.txt"]
    assert readme.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in readme.replace(b"\r\n", b"")
    text = readme.decode("utf-8-sig")
    assert "PIN" in text and "ポータル" in text and "portal" in text
    assert "help@example.ac.jp" in text


def test_profile_is_eap_tls_with_server_names_and_the_ca_thumbprint(inputs):
    xml = _members(windows.build(inputs).data)["wifi-1-eduroam.xml"]
    root = ET.fromstring(xml)
    assert root.tag == f"{{{windows.WLAN_NS}}}WLANProfile"
    assert root.findtext("w:SSIDConfig/w:SSID/w:name", namespaces=NS) == "eduroam"
    assert root.findtext("w:SSIDConfig/w:SSID/w:hex", namespaces=NS) == b"eduroam".hex().upper()
    auth = root.find("w:MSM/w:security/w:authEncryption", NS)
    assert auth is not None
    assert [
        auth.findtext(f"w:{t}", namespaces=NS) for t in ("authentication", "encryption", "useOneX")
    ] == [
        "WPA2",
        "AES",
        "true",
    ]
    host = root.find("w:MSM/w:security/onex:OneX/onex:EAPConfig/host:EapHostConfig", NS)
    assert host is not None
    assert host.findtext("host:EapMethod/common:Type", namespaces=NS) == "13"
    tls = host.find("host:Config/base:Eap/tls:EapType", NS)
    assert tls is not None
    assert tls.findtext("tls:ServerValidation/tls:ServerNames", namespaces=NS) == SERVER_NAME
    sha1 = hashlib.sha1(
        server_pki().ca.public_bytes(serialization.Encoding.DER), usedforsecurity=False
    ).hexdigest()
    thumbprint = tls.findtext("tls:ServerValidation/tls:TrustedRootCA", namespaces=NS)
    assert thumbprint is not None and thumbprint.replace(" ", "") == sha1
    assert tls.findtext("tls2:PerformServerValidation", namespaces=NS) == "true"


def test_hostile_ssids_are_escaped_by_the_xml_library(pki: TestPki):
    inputs = profile_inputs(
        pki,
        ssids=(*HOSTILE_SSIDS, "<x>&amp;</x>"),
        server_names=("a.example.ac.jp", "b.example.ac.jp"),
    )
    members = _members(windows.build(inputs).data)
    profiles = [ET.fromstring(data) for name, data in members.items() if name.endswith(".xml")]
    names = [p.findtext("w:SSIDConfig/w:SSID/w:name", namespaces=NS) for p in profiles]
    hexes = [p.findtext("w:SSIDConfig/w:SSID/w:hex", namespaces=NS) for p in profiles]
    assert names == [*HOSTILE_SSIDS, "<x>&amp;</x>"]
    assert [bytes.fromhex(h or "").decode() for h in hexes] == names
    server_names = profiles[0].findtext(".//tls:ServerNames", namespaces=NS)
    assert server_names == "a.example.ac.jp;b.example.ac.jp"
    assert all(n.isascii() and "\n" not in n for n in members if n.endswith(".xml"))
