"""The eduroam realm: the identities a profile sends and the reverse-DNS profile identifier."""

from __future__ import annotations

import re

# A DNS name in lowercase: labels of letters, digits and inner hyphens, at least two labels.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_REALM_LENGTH = 253
FALLBACK_IDENTIFIER = "local.jitsuin.wifi"
# The eduroam roaming consortium OI (Passpoint / Hotspot 2.0), as GEANT CAT and letswifi use it.
EDUROAM_CONSORTIUM_OI = "001bc50460"
EDUROAM_SSID = "eduroam"


def check_realm(realm: str) -> str:
    """``realm`` when it is a lowercase DNS name such as ``example.ac.jp``; ValueError if not."""
    if not realm:
        raise ValueError("the realm is empty; leave it unset when there is no eduroam realm")
    if "@" in realm:
        raise ValueError(
            f"the realm {realm!r} contains '@': give the domain only (example.ac.jp), "
            "not an identity"
        )
    if realm != realm.lower():
        raise ValueError(f"the realm {realm!r} must be lowercase ({realm.lower()!r})")
    if len(realm) > MAX_REALM_LENGTH:
        raise ValueError(f"the realm is longer than {MAX_REALM_LENGTH} characters")
    labels = realm.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            f"the realm {realm!r} is not a DNS name: it needs two or more dot-separated "
            "labels of letters, digits and inner hyphens (example.ac.jp)"
        )
    return realm


def identities(uid: str, realm: str) -> tuple[str, str]:
    """(inner identity, anonymous outer identity): ``uid@realm`` and ``anonymous@realm``.

    Without a realm the identity is the bare ``uid`` and there is no anonymous identity
    (an empty string): routing an outer identity needs a realm.
    """
    if not uid or "@" in uid:
        raise ValueError(f"the user id {uid!r} must be non-empty and contain no '@'")
    if not realm:
        return uid, ""
    check_realm(realm)
    return f"{uid}@{realm}", f"anonymous@{realm}"


def identifier_for(realm_or_domain: str) -> str:
    """A stable reverse-DNS profile identifier: ``example.ac.jp`` -> ``jp.ac.example.wifi``.

    Falls back to ``local.jitsuin.wifi`` when there is no usable domain, so that the
    identifier stays stable (a newer profile replaces the older one on Apple devices).
    """
    try:
        domain = check_realm(realm_or_domain.strip().lower())
    except ValueError:
        return FALLBACK_IDENTIFIER
    return ".".join([*reversed(domain.split(".")), "wifi"])


def offers_eduroam_roaming(ssids: tuple[str, ...], realm: str) -> bool:
    """Whether a profile should match eduroam by its consortium OI too (eduroam SSID + realm)."""
    return bool(realm) and any(ssid.casefold() == EDUROAM_SSID for ssid in ssids)
