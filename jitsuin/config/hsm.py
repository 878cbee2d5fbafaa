"""CA keys in a PKCS#11 token (``JITSUIN_PKCS11_*``; docs/authorities.md). Unset, CA keys are
encrypted files in the data directory (the embedded default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jitsuin.config.values import ConfigError, readable_file

MODULE, TOKEN, PIN_FILE = "JITSUIN_PKCS11_MODULE", "JITSUIN_PKCS11_TOKEN", "JITSUIN_PKCS11_PIN_FILE"


@dataclass(frozen=True)
class HsmConfig:
    """Where new CA keys are made: the token ``token`` of the PKCS#11 library ``module``."""

    module: Path | None = None
    token: str = ""
    pin_file: Path | None = None
    pin: str = field(default="", repr=False)  # read from pin_file at start; never logged

    @property
    def enabled(self) -> bool:
        return self.module is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HsmConfig:
        module = readable_file(env, MODULE)
        token = (env.get(TOKEN) or "").strip()
        pin_file = readable_file(env, PIN_FILE)
        if module is None:
            for name in (TOKEN, PIN_FILE):
                if (env.get(name) or "").strip():
                    raise ConfigError(f"{name} is set but {MODULE} (the PKCS#11 library) is not")
            return cls()
        if not token or len(token) > 32:
            raise ConfigError(f"{TOKEN}: give the token's label (1 to 32 characters) with {MODULE}")
        if pin_file is None:
            raise ConfigError(f"{PIN_FILE}: give the file holding the token's user PIN")
        pin = pin_file.read_text(encoding="utf-8").strip()
        if not pin:
            raise ConfigError(f"{PIN_FILE}: {pin_file} is empty")
        return cls(module=module, token=token, pin_file=pin_file, pin=pin)
