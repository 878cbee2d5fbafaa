"""NetworkManager keyfiles (``.nmconnection``), one per SSID; a zip of them for several SSIDs.

Certificates and the key travel inside the keyfile as NetworkManager blobs
(``data:;base64,...``). The client certificate and the private key are both the compatible
PKCS#12 (NetworkManager wants the same PKCS#12 in both), opened with ``private-key-password``.

Server names: ``domain-match`` (NetworkManager 1.24 and later) checks them in full, like
wpa_supplicant's ``domain_match``; ``domain-suffix-match`` is set too so that an older
NetworkManager, which ignores the unknown key, still checks the names (as suffixes). When
both are present a newer one requires both, which the exact names satisfy.
"""

from __future__ import annotations

import base64
import uuid

from jitsuin.pki.onboarding._bundle import file_stem, pem_bundle, zip_files
from jitsuin.pki.onboarding._common import ProfileFile, ProfileInputs

BLOB_PREFIX = "data:;base64,"
KEYFILE_TYPE = "text/plain"
ZIP_TYPE = "application/zip"
ZIP_NAME = "wifi-networkmanager.zip"
# GKeyFile escapes in string values (g_key_file_set_string); a leading space is "\s".
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
README = """Wi-Fi (EAP-TLS) profiles for NetworkManager

Each .nmconnection file is one network. Install them as root, then reload:

  sudo install -m 600 -o root -g root *.nmconnection /etc/NetworkManager/system-connections/
  sudo nmcli connection reload

The files hold your private key and its PIN: delete them once installed.
"""


def keyfile_string(value: str) -> str:
    """``value`` escaped as a GKeyFile string (what g_key_file_get_string reads back)."""
    escaped = "".join(_ESCAPES.get(c, c) for c in value)
    if escaped.startswith(" "):
        escaped = "\\s" + escaped[1:]
    return escaped


def keyfile_ssid(ssid: str) -> str:
    """The SSID as text when that reads back unchanged, else as NetworkManager's byte list.

    Text is kept for printable names without ``;``, backslashes, edge blanks or only digits
    (a digit string could be read as a byte list); anything else is written as "97;98;...;".
    """
    plain = (
        ssid.isprintable()
        and ssid == ssid.strip()
        and not any(c in ssid for c in ";\\#")
        and not ssid.isdigit()
    )
    if plain:
        return ssid
    return "".join(f"{byte};" for byte in ssid.encode())


def connection_uuid(identifier: str, ssid: str) -> uuid.UUID:
    """The same UUID for the same institution and SSID, so a new file replaces the old one."""
    return uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_DNS, identifier), ssid)


def _blob(data: bytes) -> str:
    return BLOB_PREFIX + base64.b64encode(data).decode()


def keyfile(inputs: ProfileInputs, ssid: str) -> str:
    """The ``.nmconnection`` text for one SSID."""
    names = ";".join(inputs.server_names)
    client = _blob(inputs.pkcs12)
    dot1x = [
        ("eap", "tls;"),
        ("identity", keyfile_string(inputs.identity)),
    ]
    if inputs.anonymous_identity:
        dot1x.append(("anonymous-identity", keyfile_string(inputs.anonymous_identity)))
    dot1x += [
        ("ca-cert", _blob(pem_bundle(inputs.server_cas))),
        ("client-cert", client),
        ("private-key", client),
        ("private-key-password", keyfile_string(inputs.pin)),
        ("private-key-password-flags", "0"),
        ("domain-match", keyfile_string(names)),
        ("domain-suffix-match", keyfile_string(names)),
    ]
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "connection",
            [
                ("id", keyfile_string(ssid)),
                ("uuid", str(connection_uuid(inputs.identifier, ssid))),
                ("type", "wifi"),
                ("autoconnect", "true"),
            ],
        ),
        ("wifi", [("mode", "infrastructure"), ("ssid", keyfile_ssid(ssid))]),
        (
            "wifi-security",
            [("key-mgmt", "wpa-eap"), ("proto", "rsn;"), ("pairwise", "ccmp;"), ("pmf", "2")],
        ),
        ("802-1x", dot1x),
        ("ipv4", [("method", "auto")]),
        ("ipv6", [("method", "auto"), ("addr-gen-mode", "default")]),
    ]
    return "\n".join(
        f"[{name}]\n" + "".join(f"{key}={value}\n" for key, value in entries)
        for name, entries in sections
    )


def keyfiles(inputs: ProfileInputs) -> list[tuple[str, bytes]]:
    """``(file name, keyfile bytes)`` for each SSID, in the order configured."""
    if not inputs.ssids or not inputs.server_names or not inputs.server_cas:
        raise ValueError("a Wi-Fi profile needs SSIDs, server names and the server's CA")
    return [
        (f"wifi-{file_stem(ssid, index)}.nmconnection", keyfile(inputs, ssid).encode())
        for index, ssid in enumerate(inputs.ssids)
    ]


def build(inputs: ProfileInputs) -> ProfileFile:
    files = keyfiles(inputs)
    if len(files) == 1:
        name, data = files[0]
        return ProfileFile(filename=name, content_type=KEYFILE_TYPE, data=data)
    return ProfileFile(
        filename=ZIP_NAME,
        content_type=ZIP_TYPE,
        data=zip_files([*files, ("README.txt", README.encode())]),
    )
