"""Fixtures for the onboarding builders: one person's inputs under the shared test PKI."""

from __future__ import annotations

import pytest

from jitsuin.pki.onboarding import ProfileInputs
from tests.pki.factories import TestPki
from tests.pki.onboarding.inputs import profile_inputs


@pytest.fixture(scope="session")
def inputs(pki: TestPki) -> ProfileInputs:
    return profile_inputs(pki)
