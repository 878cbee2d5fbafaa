"""ONC decryption written from components/onc/docs/onc_spec.md, independently of the builder.

PBKDF2-HMAC-SHA1 of the passphrase with Salt and Iterations gives a 256-bit key; HMAC-SHA1
under it must match the ciphertext before AES-256-CBC with IV and PKCS#7 padding opens it
(what Chromium's onc::Decrypt does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class HmacMismatch(Exception):
    pass


def decrypt(document: dict[str, Any], passphrase: str) -> dict[str, Any]:
    assert document["Type"] == "EncryptedConfiguration"
    assert (document["Cipher"], document["HMACMethod"], document["Stretch"]) == (
        "AES256",
        "SHA1",
        "PBKDF2",
    )
    salt, iv = base64.b64decode(document["Salt"]), base64.b64decode(document["IV"])
    ciphertext = base64.b64decode(document["Ciphertext"])
    key = hashlib.pbkdf2_hmac("sha1", passphrase.encode(), salt, document["Iterations"], 32)
    expected = hmac.new(key, ciphertext, "sha1").digest()
    if not hmac.compare_digest(expected, base64.b64decode(document["HMAC"])):
        raise HmacMismatch
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    result: dict[str, Any] = json.loads(unpadder.update(padded) + unpadder.finalize())
    return result
