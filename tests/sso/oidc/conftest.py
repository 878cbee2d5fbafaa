"""An OpenID Provider on 127.0.0.1 and jitsuin configured for it, as its variables would."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from jitsuin.config import SsoConfig, current
from jitsuin.sso.oidc import discovery, keys
from jitsuin.sso.oidc.config import oidc_settings
from jitsuin.sso.settings import MODEL_BACKEND, OIDC_BACKEND
from tests.sso.oidc.provider import CLIENT_ID, CLIENT_SECRET, Provider, RunningProvider


def variables(issuer: str, **more: str) -> dict[str, str]:
    return {
        "JITSUIN_OIDC_ISSUER": issuer,
        "JITSUIN_OIDC_CLIENT_ID": CLIENT_ID,
        "JITSUIN_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        **more,
    }


def config_with(data_dir: Path | None = None, **extra: str):  # type: ignore[no-untyped-def]
    config = dataclasses.replace(current(), sso=SsoConfig.from_env(extra))
    return dataclasses.replace(config, data_dir=data_dir) if data_dir else config


@pytest.fixture
def op() -> Iterator[Provider]:
    """A running provider; discovery documents and key sets kept in memory start empty."""
    provider = Provider()
    running = RunningProvider(provider)
    discovery.forget_all()
    keys.forget_all()
    yield provider
    running.stop()
    discovery.forget_all()
    keys.forget_all()


@pytest.fixture
def oidc(op, settings, tmp_path):  # type: ignore[no-untyped-def]
    """jitsuin's settings for ``op`` (from the variables), its URLs mounted."""
    for name, value in oidc_settings(config_with(tmp_path, **variables(op.issuer))).items():
        setattr(settings, name, value)
    # As jitsuin/settings.py orders them: django-axes first.
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        OIDC_BACKEND,
        MODEL_BACKEND,
    ]
    settings.ROOT_URLCONF = "tests.sso.oidc.urls"
    return settings


def through_the_provider(client: Client, **start: str):  # type: ignore[no-untyped-def]
    """Start a sign-in, let the provider log the person in, and follow it back: the
    callback's response (and its URL, to replay)."""
    begun = client.get("/account/oidc/authenticate/", start)
    assert begun.status_code == 302, begun.content[:500]
    at_provider = requests.get(begun["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    callback = f"{back.path}?{back.query}"
    return client.get(callback), callback


@pytest.fixture
def browser() -> Client:
    return Client()
