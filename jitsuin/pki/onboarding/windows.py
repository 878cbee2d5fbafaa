"""A zip for Windows: WLAN profile XML per SSID, the PKCS#12, the RADIUS CA, an installer.

``install.cmd`` imports the PKCS#12 into the user's certificate store with ``certutil``,
which asks for the PIN itself (the PIN is written nowhere in the zip), adds the RADIUS CA to
the user's trusted roots (Windows shows a confirmation) and adds each profile with ``netsh``.
The profiles use Windows' own EAP-TLS (EAP type 13) with server validation: the server's
certificate must chain to one of the listed CA thumbprints and carry one of the names.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives import serialization

from jitsuin.pki.onboarding._bundle import file_stem, zip_files
from jitsuin.pki.onboarding._common import ProfileFile, ProfileInputs

FILENAME = "wifi-windows.zip"
CONTENT_TYPE = "application/zip"
PKCS12_NAME = "wifi-client.p12"
CA_NAME = "radius-ca-{index}.cer"
WLAN_NS = "http://www.microsoft.com/networking/WLAN/profile/v1"
ONEX_NS = "http://www.microsoft.com/networking/OneX/v1"
EAPHOST_NS = "http://www.microsoft.com/provisioning/EapHostConfig"
EAPCOMMON_NS = "http://www.microsoft.com/provisioning/EapCommon"
BASE_EAP_NS = "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1"
TLS_NS = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1"
TLS_V2_NS = "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2"
EAP_TLS = "13"

README_JA = """Wi-Fi (EAP-TLS) 設定 — Windows 用

1. この zip をすべて展開してください（zip の中から直接は実行できません）。
2. install.cmd をダブルクリックします。
3. 「Enter PFX password」と表示されたら、ポータルに表示された PIN を入力します
   （入力した文字は表示されません）。
4. 証明書 (RADIUS サーバーの CA) の追加を確認する画面が出たら「はい」を選びます。
5. 完了後、展開したファイル（特に wifi-client.p12）は削除してください。

古い Wi-Fi 設定や失効した証明書が残っていると接続できないことがあります。
その場合は古いネットワーク設定を削除してください。
"""
README_EN = """Wi-Fi (EAP-TLS) setup for Windows

1. Extract everything from this zip (install.cmd cannot run from inside the zip).
2. Double-click install.cmd.
3. When asked "Enter PFX password", type the PIN shown on the portal
   (nothing is shown while you type).
4. When Windows asks whether to install the certificate (the RADIUS server's CA),
   choose Yes.
5. Afterwards delete the extracted files, wifi-client.p12 above all.

An old Wi-Fi profile or a revoked certificate left on the device can keep you from
connecting: delete the old network profile if so.
"""


def _element(
    parent: ET.Element, tag: str, text: str | None = None, **attributes: str
) -> ET.Element:
    child = ET.SubElement(parent, tag, attributes)
    if text is not None:
        child.text = text
    return child


def thumbprint(der: bytes) -> str:
    """The SHA-1 thumbprint as Windows writes it in a profile: hex byte pairs with spaces."""
    digest = hashlib.sha1(der, usedforsecurity=False).hexdigest()
    return " ".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _eap_config(parent: ET.Element, inputs: ProfileInputs) -> None:
    host = _element(parent, "EapHostConfig", xmlns=EAPHOST_NS)
    method = _element(host, "EapMethod")
    for tag, value in (
        ("Type", EAP_TLS),
        ("VendorId", "0"),
        ("VendorType", "0"),
        ("AuthorId", "0"),
    ):
        _element(method, tag, value, xmlns=EAPCOMMON_NS)
    eap = _element(_element(host, "Config", xmlns=EAPHOST_NS), "Eap", xmlns=BASE_EAP_NS)
    _element(eap, "Type", EAP_TLS)
    tls = _element(eap, "EapType", xmlns=TLS_NS)
    store = _element(_element(tls, "CredentialsSource"), "CertificateStore")
    _element(store, "SimpleCertSelection", "true")
    validation = _element(tls, "ServerValidation")
    _element(validation, "DisableUserPromptForServerValidation", "true")
    _element(validation, "ServerNames", ";".join(inputs.server_names))
    for ca in inputs.server_cas:
        _element(
            validation, "TrustedRootCA", thumbprint(ca.public_bytes(serialization.Encoding.DER))
        )
    _element(tls, "DifferentUsername", "false")
    _element(tls, "PerformServerValidation", "true", xmlns=TLS_V2_NS)
    _element(tls, "AcceptServerName", "true", xmlns=TLS_V2_NS)


def wlan_profile(inputs: ProfileInputs, ssid: str) -> bytes:
    """One WLANProfile document for ``ssid`` (UTF-8 XML)."""
    root = ET.Element("WLANProfile", xmlns=WLAN_NS)
    _element(root, "name", ssid)
    ssid_element = _element(_element(root, "SSIDConfig"), "SSID")
    _element(ssid_element, "hex", ssid.encode().hex().upper())
    _element(ssid_element, "name", ssid)
    _element(root, "connectionType", "ESS")
    _element(root, "connectionMode", "auto")
    security = _element(_element(root, "MSM"), "security")
    auth = _element(security, "authEncryption")
    _element(auth, "authentication", "WPA2")
    _element(auth, "encryption", "AES")
    _element(auth, "useOneX", "true")
    onex = _element(security, "OneX", xmlns=ONEX_NS)
    _element(onex, "authMode", "user")
    _eap_config(_element(onex, "EAPConfig"), inputs)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def install_script(profile_names: list[str], ca_names: list[str]) -> bytes:
    """``install.cmd``: ASCII only (file names are ASCII), CRLF, runs from its own folder."""
    lines = [
        "@echo off",
        "setlocal",
        'cd /d "%~dp0"',
        "echo Importing your certificate. Type the PIN shown on the portal when asked.",
        f'certutil -user -importpfx "{PKCS12_NAME}" NoExport',
        "if errorlevel 1 goto failed",
        *(f'certutil -user -addstore Root "{name}"' for name in ca_names),
        *(
            line
            for name in profile_names
            for line in (
                f'netsh wlan add profile filename="{name}" user=current',
                "if errorlevel 1 goto failed",
            )
        ),
        "echo Done. You can delete these files now.",
        "pause",
        "exit /b 0",
        ":failed",
        "echo Setup failed. See README.txt or contact the helpdesk.",
        "pause",
        "exit /b 1",
    ]
    return _crlf("\n".join(lines) + "\n").encode("ascii")


def readme(inputs: ProfileInputs) -> bytes:
    """README.txt in Japanese and English, UTF-8 with a BOM and CRLF so Notepad shows it."""
    contact = [x for x in (inputs.helpdesk.email, inputs.helpdesk.url, inputs.helpdesk.phone) if x]
    footer = f"\n{inputs.institution}\n" + "".join(f"{x}\n" for x in contact)
    text = README_JA + "\n" + "-" * 60 + "\n\n" + README_EN + footer
    return _crlf(text).encode("utf-8-sig")


def build(inputs: ProfileInputs) -> ProfileFile:
    if not inputs.ssids or not inputs.server_names or not inputs.server_cas:
        raise ValueError("a Wi-Fi profile needs SSIDs, server names and the server's CA")
    profiles = [
        (f"wifi-{file_stem(ssid, index)}.xml", wlan_profile(inputs, ssid))
        for index, ssid in enumerate(inputs.ssids)
    ]
    cas = [
        (CA_NAME.format(index=index + 1), ca.public_bytes(serialization.Encoding.DER))
        for index, ca in enumerate(inputs.server_cas)
    ]
    files = [
        ("README.txt", readme(inputs)),
        ("install.cmd", install_script([n for n, _ in profiles], [n for n, _ in cas])),
        (PKCS12_NAME, inputs.pkcs12),
        *cas,
        *profiles,
    ]
    return ProfileFile(filename=FILENAME, content_type=CONTENT_TYPE, data=zip_files(files))
