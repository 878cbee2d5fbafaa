"""The Apple .mobileconfig: a signed plist that OpenSSL verifies and Apple's keys describe."""

from __future__ import annotations

import plistlib
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from jitsuin.pki.onboarding import mobileconfig
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.peers import require_tool
from tests.pki.factories import EVERYTHING_VALID, pem, shared_pki, shared_rsa_pki
from tests.pki.onboarding.sample_inputs import (
    PIN,
    SERVER_NAMES,
    profile_signer,
    radius_ca,
    sample_inputs,
)


def _verified_content(signed: bytes, tmp_path: Path, root: x509.Certificate | None = None) -> bytes:
    """What ``openssl cms -verify`` returns after checking the signature up to our root."""
    openssl = require_tool("openssl")
    (tmp_path / "root.pem").write_bytes(pem(root or shared_pki().root.certificate))
    (tmp_path / "wifi.mobileconfig").write_bytes(signed)
    result = subprocess.run(
        [
            openssl, "cms", "-verify", "-inform", "DER", "-in", "wifi.mobileconfig",
            "-CAfile", "root.pem", "-purpose", "any", "-attime", "1750000000",
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert b"Verification successful" in result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def signed() -> bytes:
    profile = mobileconfig.build(sample_inputs())
    assert profile.content_type == "application/x-apple-aspen-config"
    assert profile.filename.endswith(".mobileconfig")
    return profile.data


@pytest.fixture(scope="module")
def plist() -> dict[str, Any]:
    return mobileconfig.profile(sample_inputs())


def _payloads(plist: dict[str, Any], payload_type: str) -> list[dict[str, Any]]:
    return [p for p in plist["PayloadContent"] if p["PayloadType"] == payload_type]


def test_openssl_verifies_the_signature_up_to_the_root_and_returns_the_plist(
    signed: bytes, tmp_path: Path
) -> None:
    content = _verified_content(signed, tmp_path)
    assert plistlib.loads(content)["PayloadType"] == "Configuration"
    # Byte for byte what build() serialised, so Apple reads the same plist.
    assert content == plistlib.dumps(
        mobileconfig.profile(sample_inputs()), fmt=plistlib.FMT_XML, sort_keys=True
    )


def test_an_rsa_signer_signs_a_profile_openssl_verifies(tmp_path: Path) -> None:
    signed = mobileconfig.build(sample_inputs(signer=profile_signer(rsa=True))).data
    content = _verified_content(signed, tmp_path, shared_rsa_pki().root.certificate)
    assert plistlib.loads(content)["PayloadIdentifier"] == "jp.ac.example.wifi"


def test_the_signature_carries_the_signer_and_its_intermediate(signed: bytes) -> None:
    inputs = sample_inputs()
    assert inputs.signer is not None
    carried = pkcs7.load_der_pkcs7_certificates(signed)
    assert inputs.signer.certificate in carried
    assert shared_pki().intermediate.certificate in carried


def test_openssl_verifies_with_its_default_smime_purpose_too(signed: bytes, tmp_path: Path) -> None:
    openssl = require_tool("openssl")
    (tmp_path / "root.pem").write_bytes(pem(shared_pki().root.certificate))
    (tmp_path / "p.mobileconfig").write_bytes(signed)
    result = subprocess.run(
        [openssl, "cms", "-verify", "-inform", "DER", "-in", "p.mobileconfig", "-CAfile",
         "root.pem", "-attime", "1750000000", "-out", "/dev/null"],
        cwd=tmp_path, capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()


def test_without_a_signer_the_profile_is_the_plain_plist() -> None:
    data = mobileconfig.build(sample_inputs(signer=None)).data
    assert data.startswith(b"<?xml")
    assert plistlib.loads(data)["PayloadIdentifier"] == "jp.ac.example.wifi"


def test_every_wifi_payload_names_the_servers_and_anchors_the_radius_ca(
    plist: dict[str, Any],
) -> None:
    (ca,) = _payloads(plist, "com.apple.security.root")
    assert x509.load_der_x509_certificate(ca["PayloadContent"]) == radius_ca()
    (pkcs12,) = _payloads(plist, "com.apple.security.pkcs12")
    wifi = _payloads(plist, "com.apple.wifi.managed")
    assert [p.get("SSID_STR") for p in wifi] == ["campus-secure", "eduroam", None]
    for payload in wifi:
        eap = payload["EAPClientConfiguration"]
        assert eap["AcceptEAPTypes"] == [13]
        assert eap["TLSTrustedServerNames"] == list(SERVER_NAMES)
        assert eap["PayloadCertificateAnchorUUID"] == [ca["PayloadUUID"]]
        assert eap["UserName"] == "s2310042@example.ac.jp"
        assert eap["OuterIdentity"] == "anonymous@example.ac.jp"
        assert payload["PayloadCertificateUUID"] == pkcs12["PayloadUUID"]
        assert payload["EncryptionType"] == "WPA2"
        assert payload["AutoJoin"] is True


def test_eduroam_with_a_realm_also_matches_by_the_roaming_consortium(
    plist: dict[str, Any],
) -> None:
    (passpoint,) = [p for p in _payloads(plist, "com.apple.wifi.managed") if p.get("IsHotspot")]
    assert passpoint["RoamingConsortiumOIs"] == ["001BC50460"]
    assert passpoint["DomainName"] == "example.ac.jp"


def test_no_passpoint_without_a_realm_or_without_eduroam() -> None:
    for inputs in (
        sample_inputs(realm="", anonymous_identity="", identity="s2310042"),
        sample_inputs(ssids=("campus-secure",)),
    ):
        wifi = _payloads(mobileconfig.profile(inputs), "com.apple.wifi.managed")
        assert not any(p.get("IsHotspot") for p in wifi)
        assert len(wifi) == len(inputs.ssids)


def test_without_an_anonymous_identity_there_is_no_outer_identity() -> None:
    plist = mobileconfig.profile(sample_inputs(realm="", anonymous_identity="", identity="u1"))
    for payload in _payloads(plist, "com.apple.wifi.managed"):
        assert "OuterIdentity" not in payload["EAPClientConfiguration"]


def test_the_pkcs12_opens_with_the_pin_and_the_pin_is_not_in_the_profile(
    plist: dict[str, Any], signed: bytes
) -> None:
    (payload,) = _payloads(plist, "com.apple.security.pkcs12")
    assert "Password" not in payload
    contents = load_pkcs12(payload["PayloadContent"], PIN)
    assert contents.certificate == sample_inputs().certificate
    assert PIN.encode() not in signed


def test_removal_date_is_the_certificates_not_after(plist: dict[str, Any]) -> None:
    not_after = sample_inputs().certificate.not_valid_after_utc
    assert plist["RemovalDate"] == not_after.replace(tzinfo=None)


def test_organization_and_description_name_the_institution_and_helpdesk(
    plist: dict[str, Any],
) -> None:
    assert plist["PayloadOrganization"] == "Example University"
    assert "Example University" in plist["PayloadDisplayName"]
    assert "helpdesk@example.ac.jp" in plist["PayloadDescription"]


def _identifiers(plist: dict[str, Any]) -> list[tuple[str, str]]:
    return [(plist["PayloadIdentifier"], plist["PayloadUUID"])] + [
        (p["PayloadIdentifier"], p["PayloadUUID"]) for p in plist["PayloadContent"]
    ]


def test_identifiers_are_stable_so_a_new_profile_replaces_the_old() -> None:
    first = sample_inputs()
    # A renewal: another certificate for the same person and institution.
    renewed = replace(
        first, certificate=shared_pki().client(at=EVERYTHING_VALID + timedelta(days=400))
    )
    assert _identifiers(mobileconfig.profile(first)) == _identifiers(mobileconfig.profile(renewed))
    other = _identifiers(mobileconfig.profile(sample_inputs(identifier="jp.ac.other.wifi")))
    assert {u for _, u in other}.isdisjoint(
        {u for _, u in _identifiers(mobileconfig.profile(first))}
    )
    uuids = [u for _, u in _identifiers(mobileconfig.profile(first))]
    assert len(set(uuids)) == len(uuids)


def test_hostile_strings_survive_the_plist() -> None:
    ssid = 'cafe <&> "wifi" ]]>'
    plist = plistlib.loads(mobileconfig.build(sample_inputs(ssids=(ssid,), signer=None)).data)
    assert plist["PayloadContent"][-1]["SSID_STR"] == ssid


def test_the_signer_certificate_signs_only(signed: bytes) -> None:
    inputs = sample_inputs()
    assert inputs.signer is not None
    usage = inputs.signer.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_agreement and not usage.key_encipherment
    assert inputs.signer.certificate.public_bytes(serialization.Encoding.DER) in signed


def test_pkilint_finds_nothing_in_the_signer_certificate(tmp_path: Path) -> None:
    inputs = sample_inputs()
    assert inputs.signer is not None
    (tmp_path / "signer.pem").write_bytes(pem(inputs.signer.certificate))
    lint = require_tool("lint_pkix_cert")
    result = subprocess.run(
        [lint, "lint", "-s", "WARNING", tmp_path / "signer.pem"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.stdout.strip() == "", result.stdout
