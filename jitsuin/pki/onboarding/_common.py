"""What every Wi-Fi onboarding profile is built from, and what a builder returns.

A builder is a pure function of :class:`ProfileInputs` (no Django, no database): the
onboarding service gathers the inputs from a ready pickup and the institution's settings,
the builders only lay them out in each platform's format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509

from jitsuin.pki.keys import PrivateKey


@dataclass(frozen=True)
class SigningIdentity:
    """A key and its certificate (with the chain up to, not including, the root)."""

    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class Helpdesk:
    """How a user reaches the institution's helpdesk; shown by profiles that carry it."""

    email: str = ""
    url: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ProfileInputs:
    """Everything one person's Wi-Fi profile needs, already checked by the caller."""

    # The person's key, certificate and chain (intermediates, no root), and the compatible
    # PKCS#12 (PBE-SHA1-3DES, SHA-1 MAC; FIELD-NOTES) of them with its PIN.
    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    pkcs12: bytes = field(repr=False)
    pin: str = field(repr=False)
    # Inner identity (uid@realm, or uid without a realm) and the anonymous outer one
    # (anonymous@realm; empty without a realm).
    identity: str
    anonymous_identity: str
    # The SSIDs to configure (JITSUIN_WIFI_NETWORKS), the names the RADIUS server's
    # certificate must match (JITSUIN_RADIUS_SERVER_NAME) and the CA certificates that issued
    # it (JITSUIN_RADIUS_SERVER_CA; not necessarily jitsuin's).
    ssids: tuple[str, ...]
    server_names: tuple[str, ...]
    server_cas: tuple[x509.Certificate, ...]
    # Who offers the profile (shown by the platform when installing it).
    institution: str
    helpdesk: Helpdesk
    # A stable reverse-DNS prefix (e.g. "jp.ac.example.wifi"): a newer profile with the same
    # identifiers replaces the old one on Apple devices.
    identifier: str
    # The eduroam realm (empty when not configured); eduroam SSIDs get the consortium OI.
    realm: str = ""
    # Signs the profile where the format supports it (Apple .mobileconfig).
    signer: SigningIdentity | None = None


@dataclass(frozen=True)
class ProfileFile:
    """A built profile: the bytes to hand to the user, their type and a file name."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)
