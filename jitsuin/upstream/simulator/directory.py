"""A simulator's state directory: made by ``init``, opened by ``serve``."""

from __future__ import annotations

from pathlib import Path

from jitsuin.pki.clock import SystemClock
from jitsuin.upstream.simulator import authority, config
from jitsuin.upstream.simulator.config import Settings, SimulatorError
from jitsuin.upstream.simulator.processing import Worker
from jitsuin.upstream.simulator.server import Simulator, officer_certificate
from jitsuin.upstream.simulator.store import Store


def init(directory: Path, settings: Settings) -> None:
    """The CA, the server's and the officer's certificates, the settings, an empty state."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if any(directory.iterdir()):
        raise SimulatorError(f"{directory} is not empty: a simulator is made in an empty directory")
    authority.create(
        directory,
        host=settings.host,
        institution=settings.institution,
        sender=settings.sender,
        clock=SystemClock(),
    )
    config.save(directory, settings)
    Store(directory / config.DATABASE_FILE).close()


def open_simulator(directory: Path, public_port: int) -> Simulator:
    """The simulator of ``directory``; its mails' URLs point at ``public_port``."""
    settings = config.load(directory)
    port = settings.public_port or public_port
    ca = authority.load(
        directory, f"https://{settings.host}:{port}", sign_mails=settings.sign_mails
    )
    store = Store(directory / config.DATABASE_FILE)
    try:
        officer = officer_certificate(directory)
    except (OSError, ValueError) as exc:
        store.close()
        raise SimulatorError(f"the officer's certificate in {directory}: {exc}") from exc
    return Simulator(directory, settings, ca, store, Worker(store, settings, ca), officer)
