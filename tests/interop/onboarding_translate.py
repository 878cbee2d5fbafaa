"""Each built Wi-Fi profile, mechanically, as the eapol_test network block it amounts to.

eapol_test reads wpa_supplicant's configuration format, so the wpa_supplicant.conf goes as
built; the other formats are read with their own parser and each setting is mapped to the
wpa_supplicant option the platform hands to its supplicant (NetworkManager and ChromeOS's
shill drive wpa_supplicant themselves): nothing is added that the profile does not say.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import io
import json
import plistlib
import textwrap
import zipfile
from dataclasses import replace

from asn1crypto import cms
from defusedxml import ElementTree as ET

from jitsuin.pki.onboarding import (
    ProfileInputs,
    eap_config,
    mobileconfig,
    networkmanager,
    onc,
    windows,
    wpa_supplicant,
)
from tests.pki.onboarding.onc_decrypt import decrypt
from tests.pki.onboarding.sample_inputs import profile_signer

quoted = wpa_supplicant.quoted


def _conf(blobs: dict[str, bytes], settings: list[str]) -> str:
    text = "".join(
        f"blob-base64-{name}={{\n"
        + "\n".join(textwrap.wrap(base64.b64encode(data).decode(), 64))  # lines < 256 chars
        + "\n}\n"
        for name, data in blobs.items()
    )
    lines = ["key_mgmt=WPA-EAP", "eap=TLS", *settings]
    return text + "network={\n" + "".join(f"\t{line}\n" for line in lines) + "}\n"


def from_wpa_supplicant(inputs: ProfileInputs) -> str:
    return wpa_supplicant.build(inputs).data.decode()


def from_networkmanager(inputs: ProfileInputs) -> str:
    """The first keyfile's [802-1x] settings (from the zip the user gets)."""
    with zipfile.ZipFile(io.BytesIO(networkmanager.build(inputs).data)) as archive:
        first = next(n for n in archive.namelist() if n.endswith(".nmconnection"))
        text = archive.read(first).decode()
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    assert parser["wifi-security"]["key-mgmt"] == "wpa-eap"
    dot1x = parser["802-1x"]
    assert dot1x["eap"] == "tls;"

    def blob(key: str) -> bytes:
        assert dot1x[key].startswith(networkmanager.BLOB_PREFIX), f"{key} is not inline"
        return base64.b64decode(dot1x[key].removeprefix(networkmanager.BLOB_PREFIX))

    blobs = {"ca_cert": blob("ca-cert"), "private_key": blob("private-key")}
    settings = ['ca_cert="blob://ca_cert"', 'private_key="blob://private_key"']
    if dot1x["client-cert"] != dot1x["private-key"]:  # NetworkManager passes a PKCS#12 once
        blobs["client_cert"] = blob("client-cert")
        settings.append('client_cert="blob://client_cert"')
    names = {
        "identity": "identity",
        "anonymous-identity": "anonymous_identity",
        "private-key-password": "private_key_passwd",
        "domain-match": "domain_match",
        "domain-suffix-match": "domain_suffix_match",
    }
    settings += [f"{wpa}={quoted(dot1x[nm])}" for nm, wpa in names.items() if nm in dot1x]
    return _conf(blobs, settings)


def from_windows(inputs: ProfileInputs) -> str:
    """The first WLAN profile, the .cer its thumbprint names and the .p12 with the typed PIN.

    Windows' EAP-TLS sends no separate outer identity (it takes it from the certificate), so
    the identity is the certificate's; ServerNames is an exact-name list like domain_match.
    """
    with zipfile.ZipFile(io.BytesIO(windows.build(inputs).data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    profile = ET.fromstring(next(v for n, v in members.items() if n.endswith(".xml")))
    ns = {"tls": windows.TLS_NS, "common": windows.EAPCOMMON_NS}
    assert profile.findtext(".//common:Type", namespaces=ns) == "13"
    thumbprints = {
        t.text.replace(" ", "") for t in profile.iterfind(".//tls:TrustedRootCA", ns) if t.text
    }
    cas = [
        data
        for name, data in members.items()
        if name.endswith(".cer")
        and hashlib.sha1(data, usedforsecurity=False).hexdigest() in thumbprints
    ]
    assert cas, "no .cer in the zip has the profile's TrustedRootCA thumbprint"
    server_names = profile.findtext(".//tls:ServerNames", namespaces=ns) or ""
    return _conf(
        {"ca_cert": cas[0], "private_key": members[windows.PKCS12_NAME]},
        [
            f"identity={quoted(inputs.identity)}",
            'ca_cert="blob://ca_cert"',
            'private_key="blob://private_key"',
            f"private_key_passwd={quoted(inputs.pin)}",  # what the user types into certutil
            f"domain_match={quoted(server_names)}",
        ],
    )


def from_onc(inputs: ProfileInputs) -> str:
    """The first network, decrypted with the PIN, as shill hands it to wpa_supplicant."""
    configuration = decrypt(json.loads(onc.build(inputs).data), inputs.pin)
    certificates = {c["GUID"]: c for c in configuration["Certificates"]}
    eap = configuration["NetworkConfigurations"][0]["WiFi"]["EAP"]
    assert eap["Outer"] == "EAP-TLS" and eap["ClientCertType"] == "Ref"
    (ca_ref,) = eap["ServerCARefs"]
    # shill writes SubjectAlternativeNameMatch as wpa_supplicant's altsubject_match "DNS:name".
    alt = ";".join(f"{m['Type']}:{m['Value']}" for m in eap["SubjectAlternativeNameMatch"])
    settings = [
        f"identity={quoted(eap['Identity'])}",
        'ca_cert="blob://ca_cert"',
        'private_key="blob://private_key"',
        f"altsubject_match={quoted(alt)}",
    ]
    if "AnonymousIdentity" in eap:
        settings.append(f"anonymous_identity={quoted(eap['AnonymousIdentity'])}")
    return _conf(
        {
            "ca_cert": base64.b64decode(certificates[ca_ref]["X509"]),
            "private_key": base64.b64decode(certificates[eap["ClientCertRef"]]["PKCS12"]),
        },
        settings,
    )


def from_eap_config(inputs: ProfileInputs) -> str:
    """The EAP-TLS method as the geteduroam apps hand it to the platform's supplicant.

    The apps open the PKCS#12 with the file's own Passphrase, send OuterIdentity as the EAP
    identity and check the server's certificate against the CA and the ServerIDs (Android's
    and NetworkManager's domain suffix match: a name, or a host under it).
    """
    provider = ET.fromstring(eap_config.build(inputs).data).find("EAPIdentityProvider")
    assert provider is not None
    method = provider.find("AuthenticationMethods/AuthenticationMethod")
    assert method is not None and method.findtext("EAPMethod/Type") == "13"
    server_ids = [e.text or "" for e in method.iterfind("ServerSideCredential/ServerID")]
    client = method.find("ClientSideCredential")
    assert client is not None
    return _conf(
        {
            "ca_cert": base64.b64decode(method.findtext("ServerSideCredential/CA") or ""),
            "private_key": base64.b64decode(client.findtext("ClientCertificate") or ""),
        },
        [
            f"identity={quoted(client.findtext('OuterIdentity') or '')}",
            'ca_cert="blob://ca_cert"',
            'private_key="blob://private_key"',
            f"private_key_passwd={quoted(client.findtext('Passphrase') or '')}",
            f"domain_suffix_match={quoted(';'.join(server_ids))}",
        ],
    )


def from_mobileconfig(inputs: ProfileInputs) -> str:
    """The first Wi-Fi payload of the signed profile, its anchors and its PKCS#12 payload.

    TLSTrustedServerNames is an exact-name list (like domain_match); the device asks for the
    PKCS#12's password, which is the PIN the portal shows (the profile does not carry it).
    """
    signed_inputs = replace(inputs, signer=inputs.signer or profile_signer())
    signed = cms.ContentInfo.load(mobileconfig.build(signed_inputs).data)
    content = signed["content"]["encap_content_info"]["content"].native
    payloads = {p["PayloadUUID"]: p for p in plistlib.loads(content)["PayloadContent"]}
    wifi = next(
        p
        for p in payloads.values()
        if p["PayloadType"] == "com.apple.wifi.managed" and not p.get("IsHotspot")
    )
    eap = wifi["EAPClientConfiguration"]
    assert eap["AcceptEAPTypes"] == [13]
    anchor = payloads[eap["PayloadCertificateAnchorUUID"][0]]["PayloadContent"]
    return _conf(
        {
            "ca_cert": anchor,
            "private_key": payloads[wifi["PayloadCertificateUUID"]]["PayloadContent"],
        },
        [
            f"identity={quoted(eap['UserName'])}",
            'ca_cert="blob://ca_cert"',
            'private_key="blob://private_key"',
            f"private_key_passwd={quoted(inputs.pin)}",  # what the user types on the device
            f"domain_match={quoted(';'.join(eap['TLSTrustedServerNames']))}",
        ],
    )


TRANSLATIONS = {
    "eap-config": from_eap_config,
    "mobileconfig": from_mobileconfig,
    "wpa-supplicant": from_wpa_supplicant,
    "networkmanager": from_networkmanager,
    "wlan-xml": from_windows,
    "onc": from_onc,
}
SERVER_NAME_OPTIONS = ("domain_match=", "domain_suffix_match=", "altsubject_match=")


def without_server_name_check(conf: str) -> str:
    return "".join(
        line
        for line in conf.splitlines(keepends=True)
        if not line.lstrip().startswith(SERVER_NAME_OPTIONS)
    )
