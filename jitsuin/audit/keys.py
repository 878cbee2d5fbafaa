"""The audit log's keys; none of them is stored in the database.

- the chain key (HMAC-SHA256): ``JITSUIN_AUDIT_KEY`` (hex) when set, else derived from
  the KEK with HKDF-SHA256, info ``jitsuin audit chain``;
- the checkpoint signing key (Ed25519): derived from the KEK with HKDF-SHA256, info
  ``jitsuin audit checkpoint signing``. Nothing to store or back up beyond the KEK, and its
  public key (``jitsuin audit public-key``) stays the same as long as the KEK does.
"""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jitsuin.config import current
from jitsuin.sealing import kek

CHAIN_INFO = b"jitsuin audit chain"
SIGNING_INFO = b"jitsuin audit checkpoint signing"


def _derive(info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(kek())


@cache
def chain_key() -> bytes:
    """The HMAC key of the audit chain."""
    configured = current().audit_key_hex
    return bytes.fromhex(configured) if configured else _derive(CHAIN_INFO)


@cache
def checkpoint_signing_key() -> Ed25519PrivateKey:
    """The Ed25519 key that signs checkpoints of the chain head."""
    return Ed25519PrivateKey.from_private_bytes(_derive(SIGNING_INFO))


def public_key_pem() -> bytes:
    """The checkpoint public key (SubjectPublicKeyInfo PEM), for verifying offline."""
    return (
        checkpoint_signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
