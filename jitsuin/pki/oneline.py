"""Distinguished names as OpenSSL's ``X509_NAME_oneline`` writes them (``/C=JP/O=.../CN=...``).

FreeRADIUS 3 gives a client certificate's issuer in that form (``TLS-Client-Cert-Issuer``), so
jitsuin renders its own CA names the same way to compare them. Bytes outside printable ASCII
(UTF-8 names in Japanese, BMPStrings) are written ``\\xHH`` and ``/`` and ``+`` in a value
get a backslash, as OpenSSL 3 does (tests/pki/test_oneline.py compares with libcrypto).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.name import _ASN1Type

Attribute = x509.NameAttribute[str | bytes]

# OpenSSL's short names (OBJ_nid2sn) of the attributes CA names use; others print as dotted OIDs.
SHORT_NAMES: dict[str, str] = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode",
    "2.5.4.42": "GN",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym",
    "2.5.4.97": "organizationIdentifier",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
}


def _value_bytes(attribute: Attribute) -> bytes:
    value: str | bytes = attribute.value
    if isinstance(value, bytes):
        return value
    if attribute._type == _ASN1Type.BMPString:
        return value.encode("utf-16-be")
    if attribute._type == _ASN1Type.UniversalString:
        return value.encode("utf-32-be")
    return value.encode("utf-8")


def _escaped(data: bytes) -> str:
    """Printable ASCII as it is, ``/`` and ``+`` after a backslash, other bytes as ``\\xHH``."""
    return "".join(
        ("\\" + chr(b) if chr(b) in "/+" else chr(b)) if 0x20 <= b <= 0x7E else f"\\x{b:02X}"
        for b in data
    )


def _entry(attribute: Attribute) -> str:
    oid = attribute.oid.dotted_string
    return f"{SHORT_NAMES.get(oid, oid)}={_escaped(_value_bytes(attribute))}"


def _der_order(attribute: Attribute) -> bytes:
    """The attribute's DER (AttributeTypeAndValue): a multi-valued RDN is a SET OF, sorted so."""
    der = x509.Name([x509.RelativeDistinguishedName([attribute])]).public_bytes()
    for _header in range(2):  # skip the SEQUENCE (Name) and SET (RDN) headers
        der = der[2 + (der[1] & 0x7F if der[1] & 0x80 else 0) :]
    return der


def oneline(name: x509.Name) -> str:
    """``name`` as ``X509_NAME_oneline`` writes it: ``/C=JP/O=Example Univ/CN=Issuing CA``
    (the attributes of a multi-valued RDN joined with ``+``, in DER order)."""
    return "".join(
        "/" + "+".join(_entry(a) for a in sorted(rdn, key=_der_order)) for rdn in name.rdns
    )
