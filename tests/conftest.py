"""Shared fixtures for the Django-side tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def ca_hierarchy(db):  # type: ignore[no-untyped-def]
    """A root, an active issuing intermediate and its OCSP responder, made by the real services."""
    from jitsuin.authorities.services import init_hierarchy

    return init_hierarchy()


@pytest.fixture(autouse=True)
def _default_language():  # type: ignore[no-untyped-def]
    """Each test starts in the default language, as a fresh process would."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
