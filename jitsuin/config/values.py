"""Parsers of single environment values: each raises ``ConfigError`` naming the variable."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class ConfigError(ValueError):
    """A setting has a value jitsuin cannot use; the message names the variable."""


def parse_duration(text: str, *, name: str = "duration") -> timedelta:
    """``0``, ``30s``, ``5m``, ``2h``, ``14d`` (a bare number is seconds)."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"{name}: {text!r} is not a duration like 0, 30s, 5m, 2h or 14d")
    value, unit = match.groups()
    return timedelta(seconds=float(value) * _UNITS[unit])


def boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: {raw!r} is not a boolean (use 1/0, true/false)")


def items(raw: str) -> tuple[str, ...]:
    """A list setting: items separated by commas and/or whitespace."""
    return tuple(p for p in re.split(r"[,\s]+", raw) if p)


def networks(
    env: Mapping[str, str], name: str, default: tuple[str, ...]
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = env.get(name)
    given = default if raw is None else items(raw)
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in given)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def whole_number(
    env: Mapping[str, str], name: str, default: int, *, minimum: int = 1, maximum: int | None = None
) -> int:
    raw = (env.get(name) or "").replace("_", "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {env[name]!r} is not a whole number") from exc
    if value < minimum:
        raise ConfigError(f"{name}: {value} is below the minimum of {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}: {value} is above the maximum of {maximum}")
    return value


def positive_duration(env: Mapping[str, str], name: str, default: str) -> timedelta:
    value = parse_duration(env.get(name) or default, name=name)
    if value <= timedelta(0):
        raise ConfigError(f"{name}: must be longer than 0")
    return value


def duration(env: Mapping[str, str], name: str, default: str) -> timedelta:
    return parse_duration(env.get(name) or default, name=name)


def choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name}: {value!r} unknown (use one of {', '.join(choices)})")
    return value


def readable_file(env: Mapping[str, str], name: str) -> Path | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file() or not os.access(path, os.R_OK):
        raise ConfigError(f"{name}: {raw} is not a readable file")
    return path
