"""jitsuin configured by the OpenID Connect variables starts without the provider, and its
sign-in button leads to the provider's discovered authorization endpoint."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.sso.oidc.conftest import variables

PROBE = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="127.0.0.1")
print(client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="en").status_code)
begun = client.get("/account/oidc/authenticate/")
print(begun.status_code, begun.get("Location", "-").split("?")[0])
"""


def run(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:  # type: ignore[type-arg]
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(JITSUIN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="jitsuin.settings")
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_a_site_with_oidc_starts_and_signs_in_through_the_discovered_endpoint(op, tmp_path):
    result = run(tmp_path, **variables(op.issuer))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["200", f"302 {op.issuer}/auth"]
    assert op.requests[0] == "/.well-known/openid-configuration"  # at the first sign-in
    assert (tmp_path / "oidc" / "openid-configuration.json").exists()


@pytest.mark.slow
def test_a_site_whose_provider_is_down_starts_and_says_so_at_sign_in(op, tmp_path):
    op.discovery_answer = "hang up"
    result = run(tmp_path, **variables(op.issuer))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["200", "502 -"]
    assert "OIDC sign-in refused (idp-unavailable, 502)" in result.stderr
    assert " ERROR " not in result.stderr
