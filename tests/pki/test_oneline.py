"""``oneline`` writes a name exactly as OpenSSL's X509_NAME_oneline (FreeRADIUS's
TLS-Client-Cert-Issuer): checked against the system's libcrypto itself."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from jitsuin.pki.oneline import oneline

NAMES = [
    x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example University"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Example Univ Client CA G1"),
        ]
    ),
    x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "北陸大学"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "情報基盤センター"),
            x509.NameAttribute(NameOID.COMMON_NAME, "実印 発行CA G2"),
        ]
    ),
    x509.Name(
        [
            x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "jp"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ca@example.ac.jp"),
            x509.NameAttribute(NameOID.USER_ID, 'ca/1=x+y\\z"q'),
            x509.NameAttribute(NameOID.COMMON_NAME, "Ünïcode", _type=_ASN1Type.BMPString),
            x509.NameAttribute(NameOID.COMMON_NAME, "Latin", _type=_ASN1Type.BMPString),
            x509.NameAttribute(x509.ObjectIdentifier("1.2.3.4"), "odd"),
        ]
    ),
    x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "b"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "a"),
                ]
            ),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.COMMON_NAME, "c", _type=_ASN1Type.UniversalString)]
            ),
        ]
    ),
]


def _openssl_oneline(name: x509.Name) -> str:
    path = ctypes.util.find_library("crypto")
    if path is None:
        pytest.skip("no system libcrypto")
    crypto = ctypes.CDLL(path)
    crypto.d2i_X509_NAME.restype = ctypes.c_void_p
    crypto.d2i_X509_NAME.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_long,
    ]
    crypto.X509_NAME_oneline.restype = ctypes.c_char_p
    crypto.X509_NAME_oneline.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    crypto.X509_NAME_free.argtypes = [ctypes.c_void_p]
    der = name.public_bytes()
    pointer = ctypes.c_char_p(der)
    parsed = crypto.d2i_X509_NAME(None, ctypes.byref(pointer), len(der))
    assert parsed
    buffer = ctypes.create_string_buffer(1024)
    try:
        return crypto.X509_NAME_oneline(parsed, buffer, len(buffer)).decode("latin-1")
    finally:
        crypto.X509_NAME_free(parsed)


@pytest.mark.parametrize("name", NAMES, ids=["ascii", "japanese", "odd", "multi-valued"])
def test_oneline_is_what_openssl_writes(name):
    assert oneline(name) == _openssl_oneline(name)


def test_a_japanese_name_is_escaped_byte_by_byte():
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "実印")])
    assert oneline(name) == "/CN=\\xE5\\xAE\\x9F\\xE5\\x8D\\xB0"
