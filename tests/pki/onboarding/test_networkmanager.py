"""The NetworkManager keyfile builder, and libnm reading its output back."""

from __future__ import annotations

import configparser
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from jitsuin.pki.onboarding import networkmanager
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.peers import peers_required
from tests.pki.factories import TestPki
from tests.pki.onboarding.hostile import HOSTILE_IDENTITY, HOSTILE_SSIDS
from tests.pki.onboarding.inputs import PIN, SERVER_NAME, profile_inputs, server_pki

SYSTEM_PYTHON = "/usr/bin/python3"
# Run by the system python3 (python3-gi, gir1.2-nm-1.0): each keyfile as libnm reads it.
LIBNM_READER = """
import json, sys, gi
gi.require_version("NM", "1.0")
from gi.repository import GLib, NM
out = []
for path in sys.argv[1:]:
    kf = GLib.KeyFile()
    kf.load_from_file(path, GLib.KeyFileFlags.NONE)
    conn = NM.keyfile_read(kf, "/nonexistent", NM.KeyfileHandlerFlags.NONE, None, None)
    conn.verify()
    x = conn.get_setting_802_1x()
    out.append({
        "id": conn.get_id(),
        "uuid": conn.get_uuid(),
        "ssid": bytes(conn.get_setting_wireless().get_ssid().get_data()).hex(),
        "key_mgmt": conn.get_setting_wireless_security().get_key_mgmt(),
        "eap": [x.get_eap_method(i) for i in range(x.get_num_eap_methods())],
        "identity": x.get_identity(),
        "anonymous_identity": x.get_anonymous_identity(),
        "domain_match": x.get_domain_match(),
        "domain_suffix_match": x.get_domain_suffix_match(),
        "ca_cert": bytes(x.get_ca_cert_blob().get_data()).hex(),
        "private_key_format": x.get_private_key_format().value_nick,
        "private_key_password": x.get_private_key_password(),
        "private_key": bytes(x.get_private_key_blob().get_data()).hex(),
        "client_cert": bytes(x.get_client_cert_blob().get_data()).hex(),
    })
print(json.dumps(out))
"""


def _parse(keyfile: bytes) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(keyfile.decode())
    return parser


def test_one_ssid_is_one_keyfile_with_eap_tls_and_inline_blobs(pki: TestPki):
    built = networkmanager.build(profile_inputs(pki, ssids=("eduroam",)))
    assert (built.filename, built.content_type) == ("wifi-1-eduroam.nmconnection", "text/plain")
    keyfile = _parse(built.data)
    assert keyfile["connection"]["type"] == "wifi"
    assert keyfile["wifi"]["ssid"] == "eduroam"
    assert keyfile["wifi-security"]["key-mgmt"] == "wpa-eap"
    dot1x = keyfile["802-1x"]
    assert dot1x["eap"] == "tls;"
    assert dot1x["identity"] == "s2310042@example.ac.jp"
    assert dot1x["anonymous-identity"] == "anonymous@example.ac.jp"
    assert dot1x["domain-match"] == dot1x["domain-suffix-match"] == SERVER_NAME
    assert dot1x["client-cert"] == dot1x["private-key"]
    assert dot1x["ca-cert"].startswith(networkmanager.BLOB_PREFIX)
    assert keyfile["ipv4"]["method"] == keyfile["ipv6"]["method"] == "auto"


def test_several_ssids_are_a_zip_of_keyfiles_with_stable_distinct_uuids(inputs):
    built = networkmanager.build(inputs)
    assert (built.filename, built.content_type) == ("wifi-networkmanager.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        names = archive.namelist()
        uuids = [_parse(archive.read(n))["connection"]["uuid"] for n in names if n != "README.txt"]
    assert names == [
        "wifi-1-eduroam.nmconnection",
        "wifi-2-Example-WiFi.nmconnection",
        "README.txt",
    ]
    assert len(set(uuids)) == 2
    assert uuids == [
        str(networkmanager.connection_uuid(inputs.identifier, s)) for s in inputs.ssids
    ]
    assert networkmanager.build(inputs).data == built.data  # same inputs, same bytes


def test_unusual_ssids_are_written_as_byte_lists(pki: TestPki):
    for ssid in HOSTILE_SSIDS:
        written = networkmanager.keyfile_ssid(ssid)
        assert bytes(int(b) for b in written.rstrip(";").split(";")) == ssid.encode()
    assert networkmanager.keyfile_ssid("研究室-WiFi") == "研究室-WiFi"


def test_keyfile_strings_escape_newlines_and_leading_blanks():
    assert networkmanager.keyfile_string(" a\nb\\c;d") == "\\sa\\nb\\\\c;d"


def _libnm_read(paths: list[Path]) -> list[dict[str, object]]:
    usable = os.path.exists(SYSTEM_PYTHON) and (
        subprocess.run(
            [SYSTEM_PYTHON, "-c", 'import gi; gi.require_version("NM", "1.0")'],
            capture_output=True,
        ).returncode
        == 0
    )
    if not usable:
        message = "libnm for the system python3 (python3-gi, gir1.2-nm-1.0) is not installed"
        if peers_required():
            pytest.fail(message + " (JITSUIN_REQUIRE_PEERS=1)")
        pytest.skip(message)
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", LIBNM_READER, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded: list[dict[str, object]] = json.loads(result.stdout)
    return loaded


@pytest.mark.peers
def test_libnm_reads_every_keyfile_back_including_hostile_names(pki: TestPki, tmp_path: Path):
    inputs = profile_inputs(pki, ssids=HOSTILE_SSIDS, identity=HOSTILE_IDENTITY)
    paths = []
    for name, data in networkmanager.keyfiles(inputs):
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    read = _libnm_read(paths)
    assert [bytes.fromhex(str(c["ssid"])).decode() for c in read] == list(HOSTILE_SSIDS)
    assert [c["id"] for c in read] == list(HOSTILE_SSIDS)
    for connection in read:
        assert connection["key_mgmt"] == "wpa-eap"
        assert connection["eap"] == ["tls"]
        assert connection["identity"] == HOSTILE_IDENTITY
        assert connection["anonymous_identity"] == "anonymous@example.ac.jp"
        assert connection["domain_match"] == connection["domain_suffix_match"] == SERVER_NAME
        assert connection["private_key_format"] == "pkcs12"
        assert connection["private_key_password"] == PIN
        assert connection["client_cert"] == connection["private_key"]
        assert bytes.fromhex(str(connection["ca_cert"])) == server_pki().ca.public_bytes(
            serialization.Encoding.PEM
        )
        opened = load_pkcs12(bytes.fromhex(str(connection["private_key"])), PIN)
        assert opened.certificate == inputs.certificate
