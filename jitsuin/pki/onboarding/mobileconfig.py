"""Apple configuration profile (.mobileconfig) for EAP-TLS Wi-Fi, signed as CMS SignedData.

The profile holds the person's compatible PKCS#12 (``com.apple.security.pkcs12``), the
RADIUS server's CA certificate(s) as anchors, and one ``com.apple.wifi.managed`` payload per
SSID (EAP-TLS, trusted server names, anchors, the PKCS#12 as the identity). With an eduroam
SSID and a realm, one more Wi-Fi payload matches eduroam over Passpoint by its roaming
consortium OI, as letswifi builds it.

The PIN is not in the profile: the device asks for it while installing and the user reads
it on the portal next to the download. A profile file that carries its own password would be
a complete credential for whoever finds the file.

Every identifier and UUID derives from ``inputs.identifier`` (uuid5), so installing a newer
profile replaces the older one instead of adding a second network configuration.

With ``inputs.signer`` the plist is wrapped in CMS SignedData (DER, content attached, the
signer's chain included); without it the plain XML plist is returned, which devices install
as "unsigned".
"""

from __future__ import annotations

import plistlib
import uuid
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from jitsuin.pki.onboarding._common import ProfileFile, ProfileInputs, SigningIdentity
from jitsuin.pki.onboarding.realm import EDUROAM_CONSORTIUM_OI, offers_eduroam_roaming

CONTENT_TYPE = "application/x-apple-aspen-config"
FILENAME = "wifi.mobileconfig"
EAP_TLS = 13
# WPA2 Enterprise or newer (AES-CCMP), as the eap-config's MinRSNProto CCMP.
ENCRYPTION_TYPE = "WPA2"

Payload = dict[str, Any]


def stable_uuid(identifier: str, part: str) -> str:
    """The same UUID for the same profile identifier and part, on every build."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{identifier}/{part}")).upper()


def _common_name(name: x509.Name, default: str) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else default


def _payload(inputs: ProfileInputs, part: str, payload_type: str, display_name: str) -> Payload:
    return {
        "PayloadType": payload_type,
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{inputs.identifier}.{part}",
        "PayloadUUID": stable_uuid(inputs.identifier, part),
        "PayloadDisplayName": display_name,
    }


def _pkcs12_payload(inputs: ProfileInputs) -> Payload:
    name = _common_name(inputs.certificate.subject, inputs.identity)
    payload = _payload(inputs, "pkcs12", "com.apple.security.pkcs12", name)
    payload["PayloadCertificateFileName"] = f"{name}.p12"
    payload["PayloadContent"] = inputs.pkcs12  # no "Password": the device asks for the PIN
    return payload


def _ca_payload(inputs: ProfileInputs, index: int, ca: x509.Certificate) -> Payload:
    name = _common_name(ca.subject, f"RADIUS CA {index + 1}")
    # A self-signed anchor is a root; a CA under someone else's root travels as plain DER.
    self_signed = ca.subject == ca.issuer
    payload_type = "com.apple.security.root" if self_signed else "com.apple.security.pkcs1"
    payload = _payload(inputs, f"ca.{index}", payload_type, name)
    payload["PayloadCertificateFileName"] = f"{name}.cer"
    payload["PayloadContent"] = ca.public_bytes(serialization.Encoding.DER)
    return payload


def _eap_client_configuration(inputs: ProfileInputs, anchors: list[str]) -> Payload:
    eap: Payload = {
        "AcceptEAPTypes": [EAP_TLS],
        "TLSTrustedServerNames": list(inputs.server_names),
        "PayloadCertificateAnchorUUID": anchors,
        "UserName": inputs.identity,
    }
    if inputs.anonymous_identity:
        # Apple documents OuterIdentity for TTLS/PEAP/EAP-FAST; EAP-TLS ignores it. It is
        # kept so that the profile says the same as the other platforms' files.
        eap["OuterIdentity"] = inputs.anonymous_identity
    return eap


def _wifi_payload(
    inputs: ProfileInputs, index: int, ssid: str, anchors: list[str], pkcs12_uuid: str
) -> Payload:
    payload = _payload(inputs, f"wifi.{index}", "com.apple.wifi.managed", f"Wi-Fi ({ssid})")
    payload.update(
        {
            "SSID_STR": ssid,
            "HIDDEN_NETWORK": False,
            "AutoJoin": True,
            "EncryptionType": ENCRYPTION_TYPE,
            "ProxyType": "None",
            "PayloadCertificateUUID": pkcs12_uuid,
            "EAPClientConfiguration": _eap_client_configuration(inputs, anchors),
        }
    )
    return payload


def _passpoint_payload(inputs: ProfileInputs, anchors: list[str], pkcs12_uuid: str) -> Payload:
    payload = _payload(inputs, "passpoint", "com.apple.wifi.managed", "eduroam (Passpoint)")
    payload.update(
        {
            "IsHotspot": True,
            "ServiceProviderRoamingEnabled": True,
            "DomainName": inputs.realm,
            "RoamingConsortiumOIs": [EDUROAM_CONSORTIUM_OI.upper()],
            "DisplayedOperatorName": f"{inputs.institution} via Passpoint",
            "AutoJoin": True,
            "EncryptionType": ENCRYPTION_TYPE,
            "ProxyType": "None",
            "PayloadCertificateUUID": pkcs12_uuid,
            "EAPClientConfiguration": _eap_client_configuration(inputs, anchors),
        }
    )
    return payload


def _description(inputs: ProfileInputs) -> str:
    networks = ", ".join(inputs.ssids)
    lines = [
        f"Connects this device to {networks} of {inputs.institution} with your certificate.",
        "When asked for a password, enter the PIN shown next to the download.",
    ]
    contacts = [c for c in (inputs.helpdesk.email, inputs.helpdesk.url, inputs.helpdesk.phone) if c]
    if contacts:
        lines.append("Helpdesk: " + ", ".join(contacts))
    return "\n".join(lines)


def _removal_date(certificate: x509.Certificate) -> datetime:
    # plistlib writes a naive datetime as UTC ("...Z").
    return certificate.not_valid_after_utc.replace(tzinfo=None)


def profile(inputs: ProfileInputs) -> Payload:
    """The configuration profile as a plist dictionary (what ``build`` serialises)."""
    pkcs12 = _pkcs12_payload(inputs)
    cas = [_ca_payload(inputs, i, ca) for i, ca in enumerate(inputs.server_cas)]
    anchors = [ca["PayloadUUID"] for ca in cas]
    networks = [
        _wifi_payload(inputs, i, ssid, anchors, pkcs12["PayloadUUID"])
        for i, ssid in enumerate(inputs.ssids)
    ]
    if offers_eduroam_roaming(inputs.ssids, inputs.realm):
        networks.append(_passpoint_payload(inputs, anchors, pkcs12["PayloadUUID"]))
    return {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": inputs.identifier,
        "PayloadUUID": stable_uuid(inputs.identifier, "profile"),
        "PayloadDisplayName": f"{inputs.institution} Wi-Fi",
        "PayloadDescription": _description(inputs),
        "PayloadOrganization": inputs.institution,
        "PayloadRemovalDisallowed": False,
        "RemovalDate": _removal_date(inputs.certificate),
        "PayloadContent": [pkcs12, *cas, *networks],
    }


def sign(data: bytes, signer: SigningIdentity) -> bytes:
    """CMS SignedData (DER) over ``data``, content attached, the signer's chain included."""
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(signer.certificate, signer.key, hashes.SHA256())
    )
    for certificate in signer.chain:
        builder = builder.add_certificate(certificate)
    # Binary: sign the plist bytes as they are (no MIME canonicalisation of line ends).
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def build(inputs: ProfileInputs) -> ProfileFile:
    """The signed .mobileconfig (unsigned XML plist when ``inputs.signer`` is None)."""
    data = plistlib.dumps(profile(inputs), fmt=plistlib.FMT_XML, sort_keys=True)
    if inputs.signer is not None:
        data = sign(data, inputs.signer)
    return ProfileFile(filename=FILENAME, content_type=CONTENT_TYPE, data=data)
