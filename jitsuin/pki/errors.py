"""Errors of the PKI core. Each message is meant to be shown to a person as it is."""

from __future__ import annotations


class PkiError(Exception):
    """Base class: something in the PKI core could not be done."""


class WeakKey(PkiError):
    """A public key below the minimum strength, or of a kind jitsuin does not accept."""


class InvalidCsr(PkiError):
    """A CSR that cannot be parsed or whose signature does not verify."""


class NotACertificate(PkiError):
    """Bytes that are neither a PEM nor a DER X.509 certificate."""


class WrongPin(PkiError):
    """A PKCS#12 file that does not open with the given PIN (or is not PKCS#12 at all)."""


class IssuerExpiresTooSoon(PkiError):
    """The issuing CA would expire before the certificate it is asked to sign."""


class MalformedOcspRequest(PkiError):
    """Bytes that are not a DER OCSP request jitsuin can answer."""


class Pkcs12Refused(PkiError):
    """A PKCS#12 file refused before any key derivation: it would cost too much to open."""

    def __init__(self, message: str, *, part: str) -> None:
        super().__init__(message)
        self.part = part  # which part of the file: "MAC", "encrypted certificates", "key"...


class Pkcs12TooCostly(Pkcs12Refused):
    """An iteration count above the configured cap (MAC, PBES1/PKCS#12 PBE or PBKDF2)."""

    def __init__(self, *, part: str, iterations: int, limit: int) -> None:
        super().__init__(
            f"PKCS#12 {part}: {iterations} iterations asked for, at most {limit} allowed",
            part=part,
        )
        self.iterations = iterations
        self.limit = limit


class Pkcs12UnsupportedScheme(Pkcs12Refused):
    """A MAC, KDF, encryption scheme or content type that jitsuin does not open."""

    def __init__(self, *, part: str, scheme: str) -> None:
        super().__init__(f"PKCS#12 {part}: {scheme} is not a scheme jitsuin opens", part=part)
        self.scheme = scheme
