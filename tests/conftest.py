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


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(tmp_path_factory, monkeypatch):  # type: ignore[no-untyped-def]
    """Each test's database starts empty, so its audit checkpoints go to a directory of its own
    (a checkpoint of an earlier test's chain would not match this one)."""
    from jitsuin import config

    directory = tmp_path_factory.mktemp("audit-checkpoints")
    monkeypatch.setenv("JITSUIN_AUDIT_CHECKPOINT_DIR", str(directory))
    config.current.cache_clear()
    yield directory
    monkeypatch.undo()
    config.current.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_public_caches():  # type: ignore[no-untyped-def]
    """Each test's database starts empty: no /healthz result or served CRL of an earlier test."""
    from jitsuin import health
    from jitsuin.revocation.served import cache

    health.forget_results()
    cache.clear()
    yield
    health.forget_results()
    cache.clear()
