"""OpenID Connect and SAML are configured only by their environment variables."""

from __future__ import annotations

import dataclasses

import pytest

from jitsuin.config import ConfigError, SsoConfig, current
from jitsuin.sso.settings import MODEL_BACKEND, OIDC_BACKEND, SAML_BACKEND, sso_settings

OIDC = {
    "JITSUIN_OIDC_ISSUER": "https://idp.example.ac.jp",
    "JITSUIN_OIDC_CLIENT_ID": "jitsuin",
    "JITSUIN_OIDC_CLIENT_SECRET": "s3cret",
    "JITSUIN_OIDC_JWKS_ENDPOINT": "https://idp.example.ac.jp/jwks",
}


def config_with(**extra: str):  # type: ignore[no-untyped-def]
    return dataclasses.replace(current(), sso=SsoConfig.from_env(extra))


def test_local_accounts_only_by_default():
    result = sso_settings(config_with())
    assert result["AUTHENTICATION_BACKENDS"] == [MODEL_BACKEND]
    assert result["EXTRA_APPS"] == []


def test_oidc_is_configured_from_the_environment():
    result = sso_settings(config_with(**OIDC))
    assert result["AUTHENTICATION_BACKENDS"] == [OIDC_BACKEND, MODEL_BACKEND]
    assert result["OIDC_RP_CLIENT_ID"] == "jitsuin"
    assert result["JITSUIN_OIDC_ENDPOINTS"]["jwks_uri"].endswith("/jwks")


def test_an_incomplete_oidc_configuration_names_what_is_missing():
    with pytest.raises(ConfigError, match="JITSUIN_OIDC_ISSUER"):
        sso_settings(config_with(JITSUIN_OIDC_CLIENT_ID="x", JITSUIN_OIDC_CLIENT_SECRET="y"))


def test_saml_is_configured_from_metadata(tmp_path):
    cert = tmp_path / "federation.crt"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    result = sso_settings(
        config_with(
            JITSUIN_SAML_METADATA_URL="https://idp.example/md.xml",
            JITSUIN_SAML_METADATA_CERT=str(cert),
        )
    )
    assert result["AUTHENTICATION_BACKENDS"][0] == SAML_BACKEND
    assert "djangosaml2" in result["EXTRA_APPS"]
    saml = result["SAML_CONFIG"]
    assert result["JITSUIN_SAML_METADATA_SOURCE"].url == "https://idp.example/md.xml"
    assert saml["entityid"].endswith("/account/saml2/metadata/")


IDP_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    entityID="https://idp.example.ac.jp/idp/shibboleth">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.example.ac.jp/idp/profile/SAML2/Redirect/SSO"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""

SAML_PROBE = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="127.0.0.1")  # a host the default ALLOWED_HOSTS accepts
metadata = client.get("/account/saml2/metadata/")
login = client.get("/account/saml2/login/")
page = client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="en")
print(metadata.status_code, b"EntityDescriptor" in metadata.content)
print(login.status_code, login["Location"].split("?")[0])
print(page.status_code, b"/account/saml2/login/" in page.content)
"""


@pytest.mark.slow
def test_a_configured_saml_sp_serves_metadata_and_sends_users_to_the_idp(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "idp.xml").write_text(IDP_METADATA)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        JITSUIN_DATA_DIR=str(tmp_path),
        JITSUIN_SAML_METADATA_FILE=str(tmp_path / "idp.xml"),
        DJANGO_SETTINGS_MODULE="jitsuin.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", SAML_PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "200 True",
        "302 https://idp.example.ac.jp/idp/profile/SAML2/Redirect/SSO",
        "200 True",
    ]
