"""What every onboarding profile is built from, and what a builder returns."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

# Passpoint/Hotspot 2.0 roaming consortium OIs of eduroam (the geteduroam apps and Apple
# profiles match networks by them as well as by SSID).
EDUROAM_CONSORTIUM_OIS = ("5a03ba0000", "001bc50460")


@dataclass(frozen=True)
class WifiSetup:
    """One person's EAP-TLS credentials and the institution's network settings.

    ``pkcs12`` is the compatible PKCS#12 of the pickup (key, certificate and the chain up to
    the intermediate), opened by ``passphrase`` (the pickup's PIN): the same file the
    portal offers, so a profile never holds a key in a weaker wrapper than the download.
    """

    pkcs12: bytes
    passphrase: str
    certificate: x509.Certificate  # the person's certificate (its notAfter ends the profile)
    ssids: tuple[str, ...]  # JITSUIN_WIFI_NETWORKS
    server_names: tuple[str, ...]  # JITSUIN_RADIUS_SERVER_NAME: names the server cert matches
    server_cas: tuple[x509.Certificate, ...]  # JITSUIN_RADIUS_SERVER_CA: trust for the server
    identity: str  # uid@realm (JITSUIN_EDUROAM_REALM), or the uid without a realm
    anonymous_identity: str  # anonymous@realm: the outer identity, "" without a realm
    eduroam: bool  # one of the SSIDs is eduroam: add the consortium OIs
    institution: str  # display name (JITSUIN_INSTITUTION_NAME)
    # A stable reverse-DNS id, e.g. "jp.ac.example.wifi": a new profile replaces the old one.
    profile_id: str
    helpdesk_email: str = ""
    helpdesk_url: str = ""
    helpdesk_phone: str = ""


@dataclass(frozen=True)
class Profile:
    """A file to hand to the device."""

    filename: str
    media_type: str
    body: bytes
