"""OpenSSL's subject name hash (``X509_NAME_hash``, ``openssl x509 -hash``, ``openssl rehash``).

A CA directory (FreeRADIUS ``ca_path``, ``openssl verify -CApath``) finds a certificate as
``<hash>.0`` and a CRL as ``<hash>.r0``. The hash is the first four bytes, little-endian, of the
SHA-1 of the name's canonical encoding (crypto/x509/x_name.c, ``x509_name_canon``): each RDN's
SET encoded on its own, without the outer SEQUENCE, text values turned into UTF8String, with
leading and trailing whitespace removed, inner runs of whitespace made one space and ASCII in
lower case. tests/agent/test_hashing.py compares with the openssl command.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.x509.name import _ASN1Type

# ASN1_MASK_CANON: the string types OpenSSL canonicalises; others are hashed as they are.
_CANONICAL = {
    _ASN1Type.UTF8String,
    _ASN1Type.BMPString,
    _ASN1Type.UniversalString,
    _ASN1Type.PrintableString,
    _ASN1Type.T61String,
    _ASN1Type.IA5String,
    _ASN1Type.VisibleString,
}
_SPACE = b" \t\n\v\f\r"
_UTF8 = 0x0C


def _tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _canonical_text(data: bytes) -> bytes:
    """asn1_string_canon: trim, collapse whitespace runs to one space, ASCII in lower case."""
    data = data.strip(_SPACE)
    out = bytearray()
    index = 0
    while index < len(data):
        byte = data[index]
        if byte in _SPACE:
            out.append(0x20)
            while index < len(data) and data[index] in _SPACE:
                index += 1
            continue
        out.append(byte + 0x20 if 0x41 <= byte <= 0x5A else byte)
        index += 1
    return bytes(out)


def _attribute(attribute: x509.NameAttribute[str | bytes]) -> bytes:
    value = attribute.value
    kind = attribute._type
    if kind in _CANONICAL and isinstance(value, str):
        content = _tlv(_UTF8, _canonical_text(value.encode("utf-8")))
    else:
        raw = value if isinstance(value, bytes) else value.encode("utf-8")
        content = _tlv(kind.value, raw)
    return _tlv(0x30, _oid(attribute.oid.dotted_string) + content)


def canonical_encoding(name: x509.Name) -> bytes:
    """The bytes OpenSSL hashes: each RDN as a DER SET OF (members sorted), concatenated."""
    return b"".join(_tlv(0x31, b"".join(sorted(_attribute(a) for a in rdn))) for rdn in name.rdns)


def subject_hash(name: x509.Name) -> str:
    """``openssl x509 -hash`` of a certificate with this subject (or ``crl -hash``, issuer)."""
    digest = hashlib.sha1(canonical_encoding(name), usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"
