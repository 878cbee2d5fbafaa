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
