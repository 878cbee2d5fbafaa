"""The eap-config file (GEANT CAT's eap-metadata schema) that the geteduroam apps install.

One EAPIdentityProvider with one EAP-TLS AuthenticationMethod: the RADIUS CA(s) and server
names, the person's compatible PKCS#12 with its passphrase, then one IEEE80211 entry per SSID
(CCMP at least) and, for eduroam with a realm, one entry with the eduroam consortium OI.

The PIN travels inside the file as ``Passphrase``, as letswifi (geteduroam's own portal)
does: the geteduroam apps import the credential without asking, which is what makes the file
one tap. The PKCS#12 and its PIN reach the person through the same one-time pickup page, so
the file gives nobody anything the page did not; it is a secret like the PKCS#12 itself.

The apps read the first IEEE80211 entry that has an SSID and a MinRSNProto other than TKIP
(geteduroam linux-app ``SSIDSettings``), so SSIDs keep the order of ``inputs.ssids``.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives import serialization

from jitsuin.pki.onboarding._common import ProfileFile, ProfileInputs
from jitsuin.pki.onboarding.realm import EDUROAM_CONSORTIUM_OI, offers_eduroam_roaming

CONTENT_TYPE = "application/x-eap-config"
FILENAME = "wifi.eap-config"
EAP_TLS = "13"
REALM_NAMESPACE = "urn:RFC4282:realm"
LANGUAGE = "en"
MIN_RSN_PROTO = "CCMP"

# Characters XML 1.0 cannot carry at all, escaped or not (ElementTree would write them raw).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    if _NOT_XML.search(text):
        raise ValueError(f"{tag} {text!r} holds a character that XML cannot carry")
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _authentication_method(parent: ET.Element, inputs: ProfileInputs) -> None:
    method = ET.SubElement(ET.SubElement(parent, "AuthenticationMethods"), "AuthenticationMethod")
    _text(ET.SubElement(method, "EAPMethod"), "Type", EAP_TLS)
    server = ET.SubElement(method, "ServerSideCredential")
    for ca in inputs.server_cas:
        der = ca.public_bytes(serialization.Encoding.DER)
        _text(server, "CA", _base64(der), format="X.509", encoding="base64")
    for name in inputs.server_names:
        _text(server, "ServerID", name)
    client = ET.SubElement(method, "ClientSideCredential")
    _text(client, "OuterIdentity", inputs.anonymous_identity or inputs.identity)
    _text(client, "ClientCertificate", _base64(inputs.pkcs12), format="PKCS12", encoding="base64")
    _text(client, "Passphrase", inputs.pin)


def _credential_applicability(parent: ET.Element, inputs: ProfileInputs) -> None:
    applicability = ET.SubElement(parent, "CredentialApplicability")
    for ssid in inputs.ssids:
        network = ET.SubElement(applicability, "IEEE80211")
        _text(network, "SSID", ssid)
        _text(network, "MinRSNProto", MIN_RSN_PROTO)
    if offers_eduroam_roaming(inputs.ssids, inputs.realm):
        _text(ET.SubElement(applicability, "IEEE80211"), "ConsortiumOID", EDUROAM_CONSORTIUM_OI)


def _provider_info(parent: ET.Element, inputs: ProfileInputs) -> None:
    info = ET.SubElement(parent, "ProviderInfo")
    _text(info, "DisplayName", inputs.institution, lang=LANGUAGE)
    networks = ", ".join(inputs.ssids)
    _text(info, "Description", f"Wi-Fi ({networks}) at {inputs.institution}", lang=LANGUAGE)
    helpdesk = inputs.helpdesk
    if not (helpdesk.email or helpdesk.url or helpdesk.phone):
        return
    desk = ET.SubElement(info, "Helpdesk")
    if helpdesk.email:
        _text(desk, "EmailAddress", helpdesk.email, lang=LANGUAGE)
    if helpdesk.url:
        _text(desk, "WebAddress", helpdesk.url, lang=LANGUAGE)
    if helpdesk.phone:
        _text(desk, "Phone", helpdesk.phone, lang=LANGUAGE)


def document(inputs: ProfileInputs) -> ET.Element:
    """The EAPIdentityProviderList element (what ``build`` serialises)."""
    root = ET.Element("EAPIdentityProviderList")
    provider = ET.SubElement(
        root,
        "EAPIdentityProvider",
        {
            "ID": inputs.realm or inputs.identifier,
            "namespace": REALM_NAMESPACE,
            "lang": LANGUAGE,
            "version": "1",
        },
    )
    not_after = inputs.certificate.not_valid_after_utc
    _text(provider, "ValidUntil", not_after.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _authentication_method(provider, inputs)
    _credential_applicability(provider, inputs)
    _provider_info(provider, inputs)
    return root


def build(inputs: ProfileInputs) -> ProfileFile:
    """The eap-config XML (UTF-8) for the geteduroam apps; it carries the PIN (see above)."""
    root = document(inputs)
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return ProfileFile(filename=FILENAME, content_type=CONTENT_TYPE, data=data)
