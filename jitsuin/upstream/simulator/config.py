"""The simulator's state directory and its settings file (``simulator.json``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CONFIG_FILE = "simulator.json"
DATABASE_FILE = "state.sqlite3"
CA_KEY_FILE, CA_CERT_FILE = "ca-key.pem", "ca.pem"
SERVER_KEY_FILE, SERVER_CERT_FILE = "server-key.pem", "server.pem"
OFFICER_KEY_FILE, OFFICER_CERT_FILE = "officer-key.pem", "officer.pem"
MAIL_KEY_FILE, MAIL_CERT_FILE = "mail-signer-key.pem", "mail-signer.pem"


class SimulatorError(ValueError):
    """A state directory or input the simulator cannot use; the message says why."""


@dataclass(frozen=True)
class Window:
    """A maintenance window, UTC, ISO 8601 (``2026-12-05T01:00:00+00:00``)."""

    start: str
    end: str

    def covers(self, now: datetime) -> bool:
        return _instant(self.start) <= now < _instant(self.end)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SimulatorError(f"not an ISO 8601 instant: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Settings:
    institution: str = "シミュレーション大学"
    allowed_ous: tuple[str, ...] = ()
    host: str = "localhost"
    # Seconds from acceptance to the certificate being ready (issue, renew) or revoked.
    issue_delay: float = 60.0
    revoke_delay: float = 60.0
    maintenance: tuple[Window, ...] = ()
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    sender: str = "ca-support@upki-sim.invalid"
    sign_mails: bool = True  # S/MIME, as the service's mails are (mail-signer.pem)
    smtp_retry_seconds: float = 30.0  # after the SMTP server refused or was down
    # A rehearsal's catch-all inbox: every notice goes into this Maildir instead of SMTP.
    maildir: str = ""
    url_validity_days: int = 31  # "one month"
    # The real service breaks an issuance clicked twice; off: the simulator serves both.
    break_on_second_click: bool = False
    # The real key generation can take ~30 s with no visible change; added to the real time.
    key_generation_delay: float = 0.0
    # The port in the mails' one-time URLs (the holder's side); 0: the officer's port + 1.
    public_port: int = 0

    def in_maintenance(self, now: datetime) -> bool:
        return any(window.covers(now) for window in self.maintenance)


def save(directory: Path, settings: Settings) -> None:
    data = asdict(settings)
    data["maintenance"] = [asdict(w) for w in settings.maintenance]
    data["allowed_ous"] = list(settings.allowed_ous)
    temporary = directory / (CONFIG_FILE + ".new")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    temporary.replace(directory / CONFIG_FILE)


def _check_types(path: Path, data: dict[str, Any]) -> None:
    """Each plain setting has its default's type (an int where a float is expected is fine)."""
    defaults = Settings()
    for item in fields(Settings):
        if item.name in {"maintenance", "allowed_ous"} or item.name not in data:
            continue
        expected = type(getattr(defaults, item.name))
        value = data[item.name]
        fits = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            fits = True
        if not fits:
            raise SimulatorError(f"{path}: {item.name} must be a {expected.__name__}")


def load(directory: Path) -> Settings:
    path = directory / CONFIG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SimulatorError(
            f"{directory} is not a simulator directory (run `jitsuin upstream-sim init`)"
        ) from exc
    except ValueError as exc:
        raise SimulatorError(f"{path}: not valid JSON ({exc})") from exc
    known = set(Settings.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise SimulatorError(f"{path}: unknown settings {', '.join(unknown)}")
    _check_types(path, data)
    try:
        windows = tuple(Window(str(w["start"]), str(w["end"])) for w in data.pop("maintenance", []))
        for window in windows:
            window.covers(datetime.now(UTC))  # refuses a bad instant now, not mid-request
        ous = tuple(str(ou) for ou in data.pop("allowed_ous", []))
        return Settings(maintenance=windows, allowed_ous=ous, **data)
    except (KeyError, TypeError) as exc:
        raise SimulatorError(f"{path}: {exc}") from exc
