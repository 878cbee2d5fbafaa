"""The simulator with an SMTP server that keeps its mails, for the tests of this folder."""

from __future__ import annotations

import pytest

from tests.upstream.sim import Mailbox, make, serve


@pytest.fixture
def mailbox():
    with Mailbox() as box:
        yield box


@pytest.fixture
def service(tmp_path, mailbox):
    make(tmp_path / "sim", mailbox.port)
    running = serve(tmp_path / "sim")
    yield running
    running.stop()
