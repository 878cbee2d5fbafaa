"""Which source address a request comes from, and whether the portal may answer it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Paths relying services and monitors need from anywhere, whatever the network policy.
# The SP metadata too: the federation and IdP operators fetch it from outside the campus.
PUBLIC_PREFIXES = (
    "/crl/",
    "/ocsp",
    "/ca/",
    "/healthz",
    "/static/",
    "/account/saml2/metadata/",
)


def _parse(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _within(address: Address, networks: Iterable[Network]) -> bool:
    return any(address in network for network in networks)


def client_address(meta: Mapping[str, str], trusted_proxies: Iterable[Network]) -> Address | None:
    """The address that decides: the peer, or, when the peer is a trusted proxy, the
    right-most X-Forwarded-For entry that is not itself a trusted proxy."""
    proxies = tuple(trusted_proxies)
    peer = _parse(meta.get("REMOTE_ADDR", ""))
    if peer is None or not proxies or not _within(peer, proxies):
        return peer
    forwarded = [p for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    for hop in reversed(forwarded):
        address = _parse(hop)
        if address is None:
            return None
        if not _within(address, proxies):
            return address
    return peer


def is_public_path(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def is_allowed(address: Address | None, allowed: Iterable[Network]) -> bool:
    return address is not None and _within(address, allowed)
