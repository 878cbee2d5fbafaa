"""The Wi-Fi server a profile tells devices to trust: the institution's settings, or in the
demo (``JITSUIN_DEMO``) clearly marked stand-ins so that a new user sees the profiles."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jitsuin.authorities.models import Authority, AuthorityStatus
from jitsuin.authorities.services import certificate_of
from jitsuin.config import current
from jitsuin.pki.onboarding.realm import identities

# Demo only: a name under .invalid (RFC 2606) that no real RADIUS server can have.
DEMO_SERVER_NAME = "radius.demo.invalid"


@dataclass(frozen=True)
class WifiServer:
    names: tuple[str, ...]
    cas: tuple[x509.Certificate, ...]
    realm: str
    demo: bool = False  # stand-in values: the demo's RADIUS server name and jitsuin's root

    def cas_pem(self) -> bytes:
        return b"".join(ca.public_bytes(Encoding.PEM) for ca in self.cas)


def _demo_cas() -> tuple[x509.Certificate, ...]:
    roots = Authority.objects.roots().exclude(
        status__in=[AuthorityStatus.REVOKED, AuthorityStatus.EXPIRED]
    )
    return tuple(certificate_of(root) for root in roots)


def wifi_server() -> WifiServer | None:
    """The configured server, the demo's stand-ins, or None: then no profile is offered."""
    config = current()
    wifi = config.wifi
    if wifi.configured:
        return WifiServer(names=wifi.server_names, cas=wifi.server_cas, realm=wifi.realm)
    if not config.demo:
        return None
    cas = wifi.server_cas or _demo_cas()
    if not cas:  # no hierarchy yet
        return None
    names = wifi.server_names or (DEMO_SERVER_NAME,)
    return WifiServer(names=names, cas=cas, realm=wifi.realm, demo=True)


def wifi_identities(uid: str, realm: str) -> tuple[str, str]:
    """(identity, anonymous identity) for ``uid``: ``uid@realm`` and ``anonymous@realm``.

    A uid that is already scoped (``s2310042@example.ac.jp``, an eduPersonPrincipalName from
    single sign-on) is the identity as it is; the outer identity keeps the realm, or else the
    uid's own domain, so that eduroam routes it home.
    """
    if "@" in uid:
        domain = uid.rsplit("@", 1)[1]
        return uid, f"anonymous@{realm or domain}"
    return identities(uid, realm)
