"""Small helpers the Linux, Windows and ChromeOS builders share: PEM, zips, file-safe names."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization

# A fixed timestamp keeps a zip's bytes a function of its contents (zip has no time zone).
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def pem_bundle(certificates: Iterable[x509.Certificate]) -> bytes:
    """The certificates as concatenated PEM, in the order given."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def client_chain_pem(certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> bytes:
    """The leaf first, then its intermediates: what a TLS client sends."""
    return pem_bundle([certificate, *chain])


def zip_files(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A deflated zip of ``(name, bytes)`` pairs, in that order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16  # holds a key: owner only once unpacked
            archive.writestr(info, data)
    return buffer.getvalue()


def file_stem(ssid: str, index: int) -> str:
    """A file name part for ``ssid`` that every platform accepts (ASCII, no separators).

    ``index`` keeps two SSIDs apart that reduce to the same stem ("ゲスト" and "来客").
    """
    stem = _UNSAFE_FILENAME.sub("-", ssid).strip("-.")[:40]
    return f"{index + 1}-{stem}" if stem else f"{index + 1}"


def is_plain_text(value: str) -> bool:
    """Printable ASCII with no quote or backslash: safe inside a double-quoted value."""
    return all(0x20 <= ord(c) < 0x7F for c in value) and '"' not in value and "\\" not in value
