"""The Wi-Fi (EAP-TLS) server that devices must check, and the eduroam realm (docs/onboarding.md).

Onboarding profiles are offered only when both the server names and the CA certificates that
issued the RADIUS server's certificate are set: a profile without them would let a device
give its key to any access point that says it is the campus Wi-Fi.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from jitsuin.config.values import ConfigError

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def dns_name(text: str, *, name: str) -> str:
    """A fully qualified DNS name (at least two labels, letters, digits and hyphens)."""
    value = text.strip().rstrip(".").lower()
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ConfigError(f"{name}: {text.strip()!r} is not a DNS name like radius.example.ac.jp")
    return value


def server_names(env: Mapping[str, str]) -> tuple[str, ...]:
    """``JITSUIN_RADIUS_SERVER_NAME``: one or more DNS names, separated by commas."""
    raw = env.get("JITSUIN_RADIUS_SERVER_NAME") or ""
    names = [part for part in raw.split(",") if part.strip()]
    found = (dns_name(part, name="JITSUIN_RADIUS_SERVER_NAME") for part in names)
    return tuple(dict.fromkeys(found))


def server_cas(env: Mapping[str, str]) -> tuple[Path | None, tuple[x509.Certificate, ...]]:
    """``JITSUIN_RADIUS_SERVER_CA``: a PEM file of the CA certificate(s), read once at start-up."""
    variable = "JITSUIN_RADIUS_SERVER_CA"
    raw = (env.get(variable) or "").strip()
    if not raw:
        return None, ()
    path = Path(raw)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{variable}: {raw} is not a readable file ({exc.strerror})") from exc
    try:
        certificates = tuple(x509.load_pem_x509_certificates(data))
    except ValueError as exc:
        raise ConfigError(f"{variable}: {raw} holds no PEM certificate") from exc
    for certificate in certificates:
        try:
            constraints = certificate.extensions.get_extension_for_oid(
                ExtensionOID.BASIC_CONSTRAINTS
            ).value
        except x509.ExtensionNotFound:
            constraints = None
        if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
            subject = certificate.subject.rfc4514_string()
            raise ConfigError(
                f"{variable}: {subject} in {raw} is not a CA certificate; give the CA that "
                "issued the RADIUS server's certificate, not the server's own"
            )
    return path, certificates


@dataclass(frozen=True)
class WifiConfig:
    """Whom devices trust as the Wi-Fi server, and the eduroam realm of the identities."""

    # The names the RADIUS server's certificate must match (JITSUIN_RADIUS_SERVER_NAME).
    server_names: tuple[str, ...] = ()
    # The CA certificates that issued it (JITSUIN_RADIUS_SERVER_CA; not necessarily jitsuin's).
    server_ca_path: Path | None = None
    server_cas: tuple[x509.Certificate, ...] = ()
    # Identities become uid@realm, the anonymous outer one anonymous@realm (JITSUIN_EDUROAM_REALM).
    realm: str = ""

    @property
    def configured(self) -> bool:
        """Both the server names and the CA are set: profiles can be offered."""
        return bool(self.server_names and self.server_cas)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WifiConfig:
        raw_realm = (env.get("JITSUIN_EDUROAM_REALM") or "").strip()
        path, cas = server_cas(env)
        return cls(
            server_names=server_names(env),
            server_ca_path=path,
            server_cas=cas,
            realm=dns_name(raw_realm, name="JITSUIN_EDUROAM_REALM") if raw_realm else "",
        )
