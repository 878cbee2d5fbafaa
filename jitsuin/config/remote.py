"""The remote signer an RA orders from (``JITSUIN_SIGNER_*``; docs/signer.md). Unset, the RA
signs in-process (the builtin connector) and none of these may be given."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jitsuin.config.values import ConfigError, readable_file

URL, CERT, KEY, CA = (
    "JITSUIN_SIGNER_URL",
    "JITSUIN_SIGNER_CLIENT_CERT",
    "JITSUIN_SIGNER_CLIENT_KEY",
    "JITSUIN_SIGNER_CA",
)


@dataclass(frozen=True)
class RemoteSignerConfig:
    """``url`` (https://host:port) reached with the client certificate and key, trusting the
    signer's admin CA ``ca_file``."""

    url: str = ""
    client_cert: Path | None = None
    client_key: Path | None = None
    ca_file: Path | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RemoteSignerConfig:
        url = (env.get(URL) or "").strip().rstrip("/")
        files = {name: readable_file(env, name) for name in (CERT, KEY, CA)}
        if not url:
            for name, path in files.items():
                if path is not None:
                    raise ConfigError(f"{name} is set but {URL} (the signer) is not")
            return cls()
        if not re.match(r"^https://[^/\s]+$", url):
            raise ConfigError(f"{URL}: {url!r} is not https://HOST[:PORT]")
        for name, path in files.items():
            if path is None:
                raise ConfigError(f"{name}: give the file (written by `jitsuin signer add-ra`)")
        return cls(url=url, client_cert=files[CERT], client_key=files[KEY], ca_file=files[CA])
