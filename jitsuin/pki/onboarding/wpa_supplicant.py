"""A self-contained wpa_supplicant.conf: one ``network`` block per SSID, credentials as blobs.

wpa_supplicant (and eapol_test, which reads the same file) takes certificates and keys inline
as named blobs (``blob-base64-NAME={...}``, used as ``"blob://NAME"``), so the user gets one
file instead of a conf and the files it points to. The client blob is the compatible PKCS#12
itself (wpa_supplicant's OpenSSL backend opens a PKCS#12 blob with ``private_key_passwd`` and
sends the chain it carries); the CA blob is the RADIUS server's CA certificates in PEM.

Server names are checked with ``domain_match``: a full (not suffix) match of a dNSName in the
server certificate's subjectAltName (the CN only when there is none); several names are
joined with ";" and any one of them is enough. ``domain_suffix_match`` would also accept
any host under the name, ``altsubject_match`` needs the exact SAN type prefix and
``subject_match`` compares a substring of the subject DN: none checks "this server" as exactly.
"""

from __future__ import annotations

import base64
import textwrap

from jitsuin.pki.onboarding._bundle import is_plain_text, pem_bundle
from jitsuin.pki.onboarding._common import ProfileFile, ProfileInputs

FILENAME = "wifi-wpa_supplicant.conf"
CONTENT_TYPE = "text/plain"
CA_BLOB = "jitsuin_server_ca"
CLIENT_BLOB = "jitsuin_client_p12"


def quoted(value: str) -> str:
    """``value`` as a wpa_supplicant string: "quoted" when plain ASCII, else hex of its UTF-8.

    wpa_supplicant reads an unquoted value as hex, so SSIDs and identities with quotes,
    newlines, backslashes or non-ASCII letters travel byte for byte without any escaping.
    """
    if value and is_plain_text(value):
        return f'"{value}"'
    return value.encode().hex()


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def _blob(name: str, data: bytes) -> str:
    lines = textwrap.wrap(base64.b64encode(data).decode(), 64)
    return f"blob-base64-{name}={{\n" + "\n".join(lines) + "\n}\n"


def network_block(inputs: ProfileInputs, ssid: str) -> str:
    """The ``network={...}`` block for one SSID."""
    lines = [
        f"ssid={quoted(ssid)}",
        "key_mgmt=WPA-EAP",
        "proto=RSN",
        "pairwise=CCMP",
        "ieee80211w=1",
        "eap=TLS",
        f"identity={quoted(inputs.identity)}",
    ]
    if inputs.anonymous_identity:
        lines.append(f"anonymous_identity={quoted(inputs.anonymous_identity)}")
    lines += [
        f'ca_cert="blob://{CA_BLOB}"',
        f'private_key="blob://{CLIENT_BLOB}"',
        f"private_key_passwd={quoted(inputs.pin)}",
        f"domain_match={quoted(';'.join(inputs.server_names))}",
    ]
    return "network={\n" + "".join(f"\t{line}\n" for line in lines) + "}\n"


def render(inputs: ProfileInputs) -> str:
    if not inputs.ssids or not inputs.server_names or not inputs.server_cas:
        raise ValueError("a Wi-Fi profile needs SSIDs, server names and the server's CA")
    header = (
        f"# Wi-Fi (EAP-TLS) for {_comment(inputs.institution)}: {_comment(inputs.identity)}\n"
        "# Holds your private key and its PIN: keep it private (chmod 600).\n"
        f"# Use: wpa_supplicant -i <interface> -c {FILENAME}, or merge the blob and network\n"
        "# blocks into /etc/wpa_supplicant/wpa_supplicant.conf.\n"
    )
    return "\n".join(
        [
            header,
            _blob(CA_BLOB, pem_bundle(inputs.server_cas)),
            _blob(CLIENT_BLOB, inputs.pkcs12),
            *(network_block(inputs, ssid) for ssid in inputs.ssids),
        ]
    )


def build(inputs: ProfileInputs) -> ProfileFile:
    return ProfileFile(
        filename=FILENAME,
        content_type=CONTENT_TYPE,
        data=render(inputs).encode(),
    )
