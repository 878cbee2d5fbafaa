"""Fixtures for the agent: a hierarchy made by the pki core, served by a fake jitsuin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agent.server import FakeJitsuin
from tests.pki.factories import TestPki, shared_pki


@pytest.fixture(scope="session")
def pki() -> TestPki:
    return shared_pki()


@pytest.fixture
def jitsuin() -> Iterator[FakeJitsuin]:
    fake = FakeJitsuin()
    yield fake
    fake.stop()
