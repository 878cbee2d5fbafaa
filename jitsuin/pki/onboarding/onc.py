"""ChromeOS: an ONC file encrypted with the PIN, carrying the key, the RADIUS CA and the networks.

ChromeOS imports a PKCS#12 from ONC with an empty password (through NSS), so the PKCS#12
inside is re-exported without one (cryptography still adds its MAC, which NSS checks) and the
whole configuration is wrapped in an ONC ``EncryptedConfiguration``
(components/onc/docs/onc_spec.md, "Encryption"): PBKDF2-HMAC-SHA1 of the PIN stretches a
256-bit key, AES-256-CBC (PKCS#7 padding) encrypts the UnencryptedConfiguration JSON and
HMAC-SHA1 under the same key authenticates the ciphertext. ChromeOS asks for the passphrase
(the PIN) when the file is imported at chrome://network.

The RADIUS CA is an ``Authority`` with no TrustBits: referenced by the networks only, not
trusted for the web. Server names are checked with ``SubjectAlternativeNameMatch`` (exact
DNS names, any one suffices) like ``domain_match`` on Linux.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac, padding, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12

from jitsuin.pki.onboarding._common import ProfileFile, ProfileInputs

FILENAME = "wifi-chromeos.onc"
CONTENT_TYPE = "application/x-onc"
# The spec's example uses 20000; Chromium accepts more. PBKDF2-SHA1, so err on the high side.
ITERATIONS = 100_000
KEY_BYTES = 32
SALT_BYTES = 16
IV_BYTES = 16


def _guid(inputs: ProfileInputs, *parts: str) -> str:
    """A GUID that stays the same for the same institution and item, so a re-import updates."""
    return (
        "{"
        + str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_DNS, inputs.identifier), "/".join(parts)))
        + "}"
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unprotected_pkcs12(inputs: ProfileInputs) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        inputs.identity.encode(),
        inputs.key,
        inputs.certificate,
        list(inputs.chain) or None,
        serialization.NoEncryption(),
    )


def unencrypted_configuration(inputs: ProfileInputs) -> dict[str, Any]:
    """The ONC UnencryptedConfiguration: client certificate, RADIUS CAs and one WiFi per SSID."""
    if not inputs.ssids or not inputs.server_names or not inputs.server_cas:
        raise ValueError("a Wi-Fi profile needs SSIDs, server names and the server's CA")
    client_guid = _guid(inputs, "client", str(inputs.certificate.serial_number))
    ca_guids = [
        _guid(inputs, "authority", ca.fingerprint(hashes.SHA256()).hex())
        for ca in inputs.server_cas
    ]
    certificates: list[dict[str, Any]] = [
        {"GUID": client_guid, "Type": "Client", "PKCS12": _b64(_unprotected_pkcs12(inputs))},
        *(
            {
                "GUID": guid,
                "Type": "Authority",
                "TrustBits": [],
                "X509": _b64(ca.public_bytes(serialization.Encoding.DER)),
            }
            for guid, ca in zip(ca_guids, inputs.server_cas, strict=True)
        ),
    ]
    eap: dict[str, Any] = {
        "Outer": "EAP-TLS",
        "Identity": inputs.identity,
        "ClientCertType": "Ref",
        "ClientCertRef": client_guid,
        "ServerCARefs": ca_guids,
        "UseSystemCAs": False,
        "SubjectAlternativeNameMatch": [{"Type": "DNS", "Value": n} for n in inputs.server_names],
        "SaveCredentials": True,
    }
    if inputs.anonymous_identity:
        eap["AnonymousIdentity"] = inputs.anonymous_identity
    networks = [
        {
            "GUID": _guid(inputs, "wifi", ssid),
            "Name": ssid,
            "Type": "WiFi",
            "WiFi": {
                "SSID": ssid,
                "HexSSID": ssid.encode().hex().upper(),
                "Security": "WPA-EAP",
                "AutoConnect": True,
                "EAP": eap,
            },
        }
        for ssid in inputs.ssids
    ]
    return {
        "Type": "UnencryptedConfiguration",
        "Certificates": certificates,
        "NetworkConfigurations": networks,
    }


def _key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA1(), length=KEY_BYTES, salt=salt, iterations=iterations)  # noqa: S303 (ONC's fixed choice)
    return kdf.derive(passphrase.encode())


def encrypt(
    configuration: dict[str, Any], passphrase: str, *, iterations: int = ITERATIONS
) -> dict[str, Any]:
    """An ONC EncryptedConfiguration of ``configuration`` under ``passphrase``."""
    salt, iv = os.urandom(SALT_BYTES), os.urandom(IV_BYTES)
    key = _key(passphrase, salt, iterations)
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    plaintext = padder.update(json.dumps(configuration).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    mac = hmac.HMAC(key, hashes.SHA1())  # noqa: S303 (ONC's fixed choice)
    mac.update(ciphertext)
    return {
        "Type": "EncryptedConfiguration",
        "Cipher": "AES256",
        "HMACMethod": "SHA1",
        "HMAC": _b64(mac.finalize()),
        "Iterations": iterations,
        "Salt": _b64(salt),
        "Stretch": "PBKDF2",
        "IV": _b64(iv),
        "Ciphertext": _b64(ciphertext),
    }


def build(inputs: ProfileInputs) -> ProfileFile:
    encrypted = encrypt(unencrypted_configuration(inputs), inputs.pin)
    return ProfileFile(
        filename=FILENAME,
        content_type=CONTENT_TYPE,
        data=json.dumps(encrypted, indent=2).encode(),
    )
