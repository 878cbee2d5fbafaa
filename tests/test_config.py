import dataclasses
import functools
import os
import re
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from jitsuin.config import (
    CampaignsConfig,
    ConfigError,
    ConnectorConfig,
    JitsuinConfig,
    NotifyConfig,
    PipelineConfig,
    PortalConfig,
    PublishingConfig,
    SsoConfig,
    parse_duration,
)
from jitsuin.pki.keyarchive import generate_recovery_key
from tests.pki.factories import pem, shared_pki


@functools.cache
def recovery_public_pem() -> bytes:
    """The public half of a key-recovery key (JITSUIN_KEY_RECOVERY_KEY)."""
    return generate_recovery_key(b"a long test passphrase", bits=3072).public_pem


def ca_pem() -> bytes:
    """A CA certificate, as the RADIUS server's issuer (JITSUIN_RADIUS_SERVER_CA)."""
    return pem(shared_pki().root.certificate)


def test_durations_read_like_people_write_them():
    assert parse_duration("0") == timedelta(0)
    assert parse_duration("30s") == timedelta(seconds=30)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("14d") == timedelta(days=14)


def test_a_bad_duration_names_the_variable():
    with pytest.raises(ConfigError, match="JITSUIN_BUILTIN_DELAY"):
        JitsuinConfig.from_env({"JITSUIN_BUILTIN_DELAY": "soon"})


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("two", "is not a whole number"),
        ("-1", "below the minimum of 0"),
        ("10001", "above the maximum of 10000"),
    ],
)
def test_a_bad_key_pool_size_is_refused_naming_the_variable(value, problem):
    with pytest.raises(ConfigError, match=rf"^JITSUIN_KEY_POOL: .*{problem}"):
        ConnectorConfig.from_env({"JITSUIN_KEY_POOL": value})


@pytest.mark.parametrize(("value", "size"), [("", 2), ("0", 0), ("10_000", 10_000), (" 48 ", 48)])
def test_the_key_pool_size_is_read_from_the_environment(value, size):
    assert ConnectorConfig.from_env({"JITSUIN_KEY_POOL": value}).key_pool == size


def test_defaults_are_the_embedded_ones(tmp_path):
    config = JitsuinConfig.from_env({"JITSUIN_DATA_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'jitsuin.sqlite3'}"
    assert config.public_url == "http://127.0.0.1:8000"
    assert config.debug is False


def test_unsupported_database_is_refused():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        JitsuinConfig.from_env({"DATABASE_URL": "mysql://x"})


def test_a_bad_network_is_refused():
    with pytest.raises(ConfigError, match="JITSUIN_ALLOWED_NETWORKS"):
        JitsuinConfig.from_env({"JITSUIN_ALLOWED_NETWORKS": "10.0.0.0/33"})


def test_secret_key_is_generated_once_with_mode_0600(tmp_path):
    config = JitsuinConfig.from_env({"JITSUIN_DATA_DIR": str(tmp_path / "data")})
    first = config.load_or_create_secret_key()
    assert first == config.load_or_create_secret_key()
    mode = stat.S_IMODE((tmp_path / "data" / "secret_key").stat().st_mode)
    assert mode == 0o600


# Every variable docs/configuration.md documents: (a usable value other than the default,
# a value from_env must refuse naming the variable, or None when any string is taken as
# given, and the other variables it needs). "{file}" is a readable file.
ISSUER = {"JITSUIN_OIDC_ISSUER": "https://idp.example.ac.jp"}
OIDC = {**ISSUER, "JITSUIN_OIDC_CLIENT_ID": "jitsuin", "JITSUIN_OIDC_CLIENT_SECRET": "s3cret"}
# The national service's settings that must come together (docs/upstream.md).
UPKI = {
    "JITSUIN_UPKI_URL": "https://upki.example.ac.jp",
    "JITSUIN_UPKI_CA": "{other_file}",
    "JITSUIN_UPKI_CLIENT_CERT": "{other_file}",
    "JITSUIN_UPKI_CLIENT_KEY": "{other_file}",
    "JITSUIN_UPKI_MAILBOX": "maildir:/var/mail/pki",
    "JITSUIN_UPKI_DN_SUFFIX": "OU=情報環境機構,O=試験大学,L=Academe,C=JP",
    "JITSUIN_UPKI_ADMIN_EMAIL": "pki@example.ac.jp",
}
VALUES: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "JITSUIN_DATA_DIR": ("{dir}/elsewhere", None, {}),
    "JITSUIN_DB_CONN_MAX_AGE": ("0", "soon", {}),
    "JITSUIN_PUBLIC_URL": ("https://pki.example.ac.jp", "ftp://pki.example.ac.jp", {}),
    "JITSUIN_SECRET_KEY": ("any string at all", None, {}),
    "JITSUIN_KEK": ("ab" * 32, "abcd", {}),
    "JITSUIN_LEASE": ("5m", "0", {}),
    "JITSUIN_DEBUG": ("1", "maybe", {}),
    "JITSUIN_ALLOWED_HOSTS": ("pki.example.ac.jp", None, {}),
    "JITSUIN_ALLOWED_NETWORKS": ("10.1.0.0/16", "10.0.0.0/33", {}),
    "JITSUIN_TRUSTED_PROXIES": ("10.0.0.1", "a proxy", {}),
    "JITSUIN_PKCS12_MAX_ITERATIONS": ("600000", "0", {}),
    "JITSUIN_API_RATE": ("1200", "0", {}),
    "JITSUIN_OCSP_CACHE_BYTES": ("0", "lots", {}),
    "JITSUIN_LOGIN_FAILURE_LIMIT": ("10", "ten", {}),
    "JITSUIN_LOGIN_COOLOFF": ("10m", "soon", {}),
    "JITSUIN_LOGIN_COOLOFF_MAX": ("48h", "1m", {}),
    "JITSUIN_LOGIN_LOCKOUT_BY": ("account,address", "everyone", {}),
    "JITSUIN_LOGIN_ADDRESS_LIMIT": ("0", "-1", {}),
    "JITSUIN_TOTP_ENROLMENT_CODE_TTL": ("24h", "0", {}),
    "JITSUIN_BUILTIN_DELAY": ("30s", "soon", {}),
    "JITSUIN_CONNECTORS": ("slow=tests.chaos.connector:ChaosConnector", "builtin", {}),
    "JITSUIN_EMAIL": ("smtp", "pigeon", {}),
    "JITSUIN_SMTP_HOST": ("smtp.example.ac.jp", None, {}),
    "JITSUIN_SMTP_PORT": ("587", "smtp", {}),
    "JITSUIN_EMAIL_FROM": ("pki <pki@example.ac.jp>", None, {}),
    "JITSUIN_HELPDESK_EMAIL": ("help@example.ac.jp", None, {}),
    "JITSUIN_AUDIT_KEY": ("cd" * 32, "cd" * 16, {}),
    "JITSUIN_AUDIT_CHECKPOINT_DIR": ("{dir}/checkpoints", None, {}),
    "JITSUIN_AUDIT_CHECKPOINT_EVERY": ("2h", "0", {}),
    "JITSUIN_AUDIT_CHECKPOINT_EVENTS": ("10", "0", {}),
    "JITSUIN_AUDIT_EMAIL": ("audit@example.ac.jp", "nobody", {}),
    "JITSUIN_KEY_RECOVERY_KEY": ("{recovery_key}", "{file}", {}),
    "JITSUIN_ORGANIZATION": ("Example University", None, {}),
    "JITSUIN_DEMO": ("1", "maybe", {}),
    "JITSUIN_RETRY_BASE": ("1m", "soon", {}),
    "JITSUIN_RETRY_MAX": ("2h", "soon", {}),
    "JITSUIN_MAX_ATTEMPTS": ("3", "five", {}),
    "JITSUIN_SCHEDULER_INTERVAL": ("1s", "soon", {}),
    "JITSUIN_SWEEP_INTERVAL": ("1m", "soon", {}),
    "JITSUIN_HOUSEKEEPING_INTERVAL": ("1m", "soon", {}),
    "JITSUIN_LEAVER_GRACE_DAYS": ("14", "-1", {}),
    "JITSUIN_KEY_POOL": ("0", "-1", {}),
    "JITSUIN_CA_KEY_TYPE": ("rsa3072", "rsa2048", {}),
    "JITSUIN_PKCS11_MODULE": (
        "{file}",
        "/nonexistent/libsofthsm2.so",
        {"JITSUIN_PKCS11_TOKEN": "jitsuin", "JITSUIN_PKCS11_PIN_FILE": "{other_file}"},
    ),
    "JITSUIN_PKCS11_TOKEN": ("jitsuin", "x", {}),
    "JITSUIN_SIGNER_URL": (
        "https://signer.example.ac.jp:8443",
        "http://signer.example.ac.jp",
        {
            "JITSUIN_SIGNER_CLIENT_CERT": "{file}",
            "JITSUIN_SIGNER_CLIENT_KEY": "{other_file}",
            "JITSUIN_SIGNER_CA": "{file}",
        },
    ),
    "JITSUIN_SIGNER_CLIENT_CERT": ("{file}", "{dir}/missing.pem", {}),
    "JITSUIN_SIGNER_CLIENT_KEY": ("{file}", "{dir}/missing.key", {}),
    "JITSUIN_SIGNER_CA": ("{file}", "{dir}/missing-ca.pem", {}),
    "JITSUIN_PKCS11_PIN_FILE": ("{file}", "/nonexistent/pin", {}),
    "JITSUIN_CRL_VALIDITY": ("3d", "soon", {}),
    "JITSUIN_CRL_REFRESH": ("12h", "soon", {}),
    "JITSUIN_CRL_DEBOUNCE": ("1s", "soon", {}),
    "JITSUIN_CRL_STALE_MARGIN": ("1d", "soon", {}),
    "JITSUIN_CRL_MAX_AGE": ("5m", "soon", {}),
    "JITSUIN_OCSP_VALIDITY": ("2d", "soon", {}),
    "JITSUIN_OCSP_REFRESH_MARGIN": ("6h", "soon", {}),
    "JITSUIN_OCSP_STALE_MARGIN": ("2h", "soon", {}),
    "JITSUIN_OCSP_MAX_AGE": ("5m", "soon", {}),
    "JITSUIN_OCSP_CACHE_TTL": ("0", "soon", {}),
    "JITSUIN_PUBLIC_CACHE_TTL": ("0", "soon", {}),
    "JITSUIN_RELYING_PARTY_GRACE": ("10m", "soon", {}),
    "JITSUIN_STUCK_BUSINESS_DAYS": ("5", "0", {}),
    "JITSUIN_HELPDESK_LANGUAGE": ("en", "fr", {}),
    "JITSUIN_INSTITUTION_NAME": ("東西大学 情報基盤センター", "[bracketed]", {}),
    "JITSUIN_WIFI_NETWORKS": ("campus-secure, eduroam", None, {}),
    "JITSUIN_RADIUS_SERVER_NAME": ("radius.example.ac.jp, radius2.example.ac.jp", "radius/1", {}),
    "JITSUIN_RADIUS_SERVER_CA": ("{ca_file}", "{file}", {}),
    "JITSUIN_EDUROAM_REALM": ("example.ac.jp", "example ac jp", {}),
    "JITSUIN_SITE_NAME": ("東西大学 証明書サービス", "two\nlines", {}),
    "JITSUIN_PAGE_CACHE": ("off", "sometimes", {}),
    "JITSUIN_PREFLIGHT_RADIUS": ("radius.example:1812:se:cret", "radius.example:port:s", {}),
    "JITSUIN_PREFLIGHT_RADIUS_CA": ("/etc/radius-ca.pem", None, {}),
    "JITSUIN_SSO_PROVISIONING": ("create", "always", {}),
    "JITSUIN_SSO_CLOCK_SKEW": ("5", "-5", {}),
    "JITSUIN_OIDC_ISSUER": ("https://idp.example.ac.jp", "idp.example.ac.jp", {}),
    "JITSUIN_OIDC_CLIENT_ID": ("jitsuin", None, {**ISSUER, "JITSUIN_OIDC_CLIENT_SECRET": "s"}),
    "JITSUIN_OIDC_CLIENT_SECRET": ("s3cret", None, {**ISSUER, "JITSUIN_OIDC_CLIENT_ID": "j"}),
    "JITSUIN_OIDC_SIGN_ALGO": ("ES256", "none", OIDC),
    "JITSUIN_OIDC_SCOPES": ("openid email", "email profile", OIDC),
    "JITSUIN_OIDC_UID_CLAIM": ("employee_number", None, OIDC),
    "JITSUIN_OIDC_USERNAME_CLAIM": ("employee_number", None, OIDC),
    "JITSUIN_OIDC_AUTHORIZATION_ENDPOINT": ("https://idp.example/a", "/a", OIDC),
    "JITSUIN_OIDC_TOKEN_ENDPOINT": ("https://idp.example/t", "/t", OIDC),
    "JITSUIN_OIDC_USERINFO_ENDPOINT": ("https://idp.example/u", "/u", OIDC),
    "JITSUIN_OIDC_JWKS_ENDPOINT": ("https://idp.example/j", "/j", OIDC),
    "JITSUIN_OIDC_END_SESSION_ENDPOINT": ("https://idp.example/e", "/e", OIDC),
    "JITSUIN_SAML_METADATA_URL": (
        "https://fed.example/md.xml",
        "ftp://fed.example/md.xml",
        {"JITSUIN_SAML_METADATA_CERT": "{file}"},
    ),
    "JITSUIN_SAML_METADATA_FILE": ("{file}", "{dir}/missing.xml", {}),
    "JITSUIN_SAML_METADATA_CERT": ("{file}", "{dir}/missing.pem", {}),
    "JITSUIN_SAML_METADATA_MAX_BYTES": ("2048", "1000", {}),
    "JITSUIN_SAML_IDP": ("https://idp.example.ac.jp/idp", None, {}),
    "JITSUIN_SAML_SCOPES": (
        "example.ac.jp",
        "example.ac.jp",  # refused without JITSUIN_SAML_IDP
        {},
    ),
    "JITSUIN_SAML_UID_ATTRIBUTE": ("uid", None, {}),
    "JITSUIN_SAML_USERNAME_ATTRIBUTE": ("uid", None, {}),
    "JITSUIN_SAML_KEY_FILE": ("{file}", "{dir}/missing.key", {"JITSUIN_SAML_CERT_FILE": "{file}"}),
    "JITSUIN_SAML_CERT_FILE": ("{file}", "{dir}/missing.pem", {"JITSUIN_SAML_KEY_FILE": "{file}"}),
    "JITSUIN_XMLSEC1": ("/usr/local/bin/xmlsec1", None, {}),
    "JITSUIN_UPKI_URL": ("https://upki2.example.ac.jp:8443", "http://upki.example.ac.jp", UPKI),
    "JITSUIN_UPKI_CA": ("{file}", "{dir}/missing.pem", UPKI),
    "JITSUIN_UPKI_CLIENT_CERT": ("{file}", "{dir}/missing.pem", UPKI),
    "JITSUIN_UPKI_CLIENT_KEY": ("{file}", "{dir}/missing.key", UPKI),
    "JITSUIN_UPKI_MAIL_CA": ("{file}", "{dir}/missing.pem", UPKI),
    "JITSUIN_UPKI_MAILBOX": ("imaps://pki@mail.example.ac.jp:993/INBOX", "pop3://mail", UPKI),
    "JITSUIN_UPKI_MAILBOX_PASSWORD_FILE": ("{file}", "{dir}/missing", UPKI),
    "JITSUIN_UPKI_DN_SUFFIX": ("OU=Other,O=試験大学,L=Academe,C=JP", "O=Example,C=US", UPKI),
    "JITSUIN_UPKI_ADMIN_EMAIL": ("other@example.ac.jp", "not an address", UPKI),
    "JITSUIN_UPKI_ADMIN_NAME": ("情報基盤センター", None, UPKI),
    "JITSUIN_UPKI_ADMIN_DEPARTMENT": ("情報基盤センター", None, UPKI),
    "JITSUIN_UPKI_BATCH_SIZE": ("100", "0", UPKI),
    "JITSUIN_UPKI_BATCH_INTERVAL": ("1m", "soon", UPKI),
    "JITSUIN_UPKI_POLL": ("10s", "soon", UPKI),
    "JITSUIN_UPKI_STATUS_INTERVAL": ("1h", "soon", UPKI),
    "JITSUIN_UPKI_UNCERTAIN_WAIT": ("1d", "0", UPKI),
    "JITSUIN_UPKI_DN_NUMBER": ("none", "sometimes", UPKI),
}
# Documented, but read by the tests (tests/peers.py), not by jitsuin.
TESTS_ONLY = {"JITSUIN_REQUIRE_PEERS"}
# Good values that need a variable beside them only to be usable (the bad value stands alone).
NEEDS_FOR_GOOD = {
    "JITSUIN_SAML_SCOPES": {"JITSUIN_SAML_IDP": "https://idp.example.ac.jp/idp"},
    "JITSUIN_PKCS11_TOKEN": {
        "JITSUIN_PKCS11_MODULE": "{file}",
        "JITSUIN_PKCS11_PIN_FILE": "{other_file}",
    },
    "JITSUIN_PKCS11_PIN_FILE": {
        "JITSUIN_PKCS11_MODULE": "{file}",
        "JITSUIN_PKCS11_TOKEN": "jitsuin",
    },
    "JITSUIN_SIGNER_CLIENT_CERT": {
        "JITSUIN_SIGNER_URL": "https://signer.example.ac.jp",
        "JITSUIN_SIGNER_CLIENT_KEY": "{file}",
        "JITSUIN_SIGNER_CA": "{file}",
    },
    "JITSUIN_SIGNER_CLIENT_KEY": {
        "JITSUIN_SIGNER_URL": "https://signer.example.ac.jp",
        "JITSUIN_SIGNER_CLIENT_CERT": "{file}",
        "JITSUIN_SIGNER_CA": "{file}",
    },
    "JITSUIN_SIGNER_CA": {
        "JITSUIN_SIGNER_URL": "https://signer.example.ac.jp",
        "JITSUIN_SIGNER_CLIENT_CERT": "{file}",
        "JITSUIN_SIGNER_CLIENT_KEY": "{file}",
    },
}
# Variables that cannot be left out where they are needed: compared with another usable value.
OTHER_VALUE = {
    "JITSUIN_PKCS11_MODULE": "{other_file}",
    "JITSUIN_PKCS11_TOKEN": "another-token",
    "JITSUIN_PKCS11_PIN_FILE": "{other_file}",
    "JITSUIN_SIGNER_URL": "https://other.example.ac.jp",
    "JITSUIN_SIGNER_CLIENT_CERT": "{other_file}",
    "JITSUIN_SIGNER_CLIENT_KEY": "{other_file}",
    "JITSUIN_SIGNER_CA": "{other_file}",
    "JITSUIN_OIDC_CLIENT_ID": "another-client",
    "JITSUIN_OIDC_CLIENT_SECRET": "another-secret",
    "JITSUIN_SAML_KEY_FILE": "{other_file}",
    "JITSUIN_SAML_CERT_FILE": "{other_file}",
}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
ROOT = Path(__file__).resolve().parent.parent / "jitsuin"


def documented() -> list[str]:
    """The variables in the tables of docs/configuration.md (``JITSUIN_CRL_*`` is not one)."""
    names: dict[str, None] = {}
    for line in DOCS.read_text().splitlines():
        if line.startswith("| `JITSUIN_"):
            first_cell = line.split("|")[1]
            names.update(dict.fromkeys(re.findall(r"`(JITSUIN_[A-Z0-9_]*[A-Z0-9])`", first_cell)))
    return list(names)


def _fill(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    readable, other = tmp_path / "readable.pem", tmp_path / "other.pem"
    for path in (readable, other):
        path.write_text("not parsed by from_env\n")
    ca_file = tmp_path / "radius-ca.pem"
    ca_file.write_bytes(ca_pem())
    recovery_key = tmp_path / "recovery-public.pem"
    recovery_key.write_bytes(recovery_public_pem())
    return {
        "JITSUIN_DATA_DIR": str(tmp_path / "data"),
        **{
            k: v.format(
                file=readable,
                other_file=other,
                dir=tmp_path,
                ca_file=ca_file,
                recovery_key=recovery_key,
            )
            for k, v in env.items()
        },
    }


def read_by_jitsuin() -> list[str]:
    return [name for name in documented() if name not in TESTS_ONLY]


def test_every_documented_variable_has_a_usable_and_a_bad_test_value():
    missing = [name for name in read_by_jitsuin() if name not in VALUES]
    assert missing == [], "documented: add a usable and a bad value to VALUES"


@pytest.mark.parametrize("name", [name for name in read_by_jitsuin() if name in VALUES])
def test_each_documented_variable_is_parsed_into_the_config(name, tmp_path):
    """A usable value reaches the config object (it is a field, not looked up later)."""
    good, _bad, needs = VALUES[name]
    base = _fill({**needs, **NEEDS_FOR_GOOD.get(name, {})}, tmp_path)
    if name in OTHER_VALUE:
        base[name] = _fill({name: OTHER_VALUE[name]}, tmp_path)[name]
    with_value = _fill({**needs, **NEEDS_FOR_GOOD.get(name, {}), name: good}, tmp_path)
    assert JitsuinConfig.from_env(with_value) != JitsuinConfig.from_env(base)


FREE_TEXT = sorted(name for name, (_good, bad, _needs) in VALUES.items() if bad is None)


@pytest.mark.parametrize(
    "name", [name for name in read_by_jitsuin() if name in VALUES and name not in FREE_TEXT]
)
def test_a_bad_value_of_each_documented_variable_stops_start_up_naming_it(name, tmp_path):
    """Every variable but the free-text ones (any string is taken as given) refuses a bad one."""
    _good, bad, needs = VALUES[name]
    with pytest.raises(ConfigError, match=rf"\b{name}\b") as caught:
        JitsuinConfig.from_env(_fill({**needs, name: bad}, tmp_path))
    assert "\n" not in str(caught.value)


def test_the_free_text_variables_are_the_ones_the_docs_call_free_text():
    text = DOCS.read_text()
    paragraph = text[text.index("Free text, taken as given") :].split("\n\n")[0]
    assert set(FREE_TEXT) == set(re.findall(r"`(JITSUIN_[A-Z0-9_]+)`", paragraph))


class _Recording(dict[str, str]):
    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, key, default=None):  # type: ignore[no-untyped-def, override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        self.read.add(key)
        return super().__getitem__(key)


# Names of Django settings that jitsuin.sso makes (not environment variables).
DJANGO_SETTING_NAMES = {
    "JITSUIN_SSO_METHODS",
    "JITSUIN_OIDC_ENDPOINTS",
    "JITSUIN_OIDC_CACHE_DIR",
    "JITSUIN_OIDC_POST_LOGOUT_REDIRECT_URI",
    "JITSUIN_SAML_METADATA_SOURCE",
    "JITSUIN_SAML_UID_SCOPED",
}


def test_every_variable_jitsuin_reads_is_documented_and_read_by_from_env_only():
    env = _Recording()
    JitsuinConfig.from_env(env)
    read = {name for name in env.read if name.startswith("JITSUIN_")}
    assert read == set(documented()) - TESTS_ONLY
    # Nothing else reads the environment ...
    for path in ROOT.rglob("*.py"):
        if path.parent == ROOT / "config":
            continue
        for line in path.read_text().splitlines():
            if "os.environ" in line or "getenv" in line:
                assert "DJANGO_SETTINGS_MODULE" in line, f"{path}: {line.strip()}"
    # ... and every JITSUIN_ name in the code is a variable from_env reads or a Django setting.
    mentioned = {
        name
        for path in [*ROOT.rglob("*.py"), *ROOT.rglob("*.html")]
        for name in re.findall(r"\b(JITSUIN_[A-Z0-9_]*[A-Z0-9])\b", path.read_text())
    }
    assert mentioned - read - DJANGO_SETTING_NAMES == set()


def test_a_bad_value_stops_a_command_with_one_line_naming_the_variable(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JITSUIN_")},
        "JITSUIN_DATA_DIR": str(tmp_path),
        "JITSUIN_MAX_ATTEMPTS": "five",
    }
    result = subprocess.run(
        [sys.executable, "-m", "jitsuin", "requests"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    # One line naming the variable, then the one hint every ConfigError gets (cli/failures.py).
    assert result.stderr.strip().splitlines() == [
        "jitsuin: JITSUIN_MAX_ATTEMPTS: 'five' is not a whole number",
        "Correct the variable (see docs/configuration.md).",
    ]


def test_the_defaults_of_each_part_are_the_ones_from_env_gives_an_empty_environment(tmp_path):
    """Each default is written twice (the field's, and the text from_env parses); same value."""
    config = JitsuinConfig.from_env({"JITSUIN_DATA_DIR": str(tmp_path)})
    for part in (
        PipelineConfig,
        PublishingConfig,
        ConnectorConfig,
        NotifyConfig,
        PortalConfig,
        CampaignsConfig,
        SsoConfig,
    ):
        assert part.from_env({}) == part()
    for f in dataclasses.fields(JitsuinConfig):
        if f.default is not dataclasses.MISSING:
            assert getattr(config, f.name) == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert getattr(config, f.name) == f.default_factory(), f.name


def test_radius_server_names_are_a_comma_separated_list_of_dns_names():
    config = JitsuinConfig.from_env(
        {"JITSUIN_RADIUS_SERVER_NAME": "Radius.Example.ac.jp., r2.example.ac.jp"}
    )
    assert config.wifi.server_names == ("radius.example.ac.jp", "r2.example.ac.jp")
    assert config.portal.radius_server_name == "radius.example.ac.jp, r2.example.ac.jp"
    with pytest.raises(ConfigError, match="JITSUIN_RADIUS_SERVER_NAME: 'radius' is not a DNS"):
        JitsuinConfig.from_env({"JITSUIN_RADIUS_SERVER_NAME": "radius.example.ac.jp, radius"})


def test_the_radius_server_ca_must_be_a_readable_pem_of_ca_certificates(tmp_path):
    bundle = tmp_path / "cas.pem"
    pki = shared_pki()
    bundle.write_bytes(pem(pki.root.certificate) + pem(pki.intermediate.certificate))
    config = JitsuinConfig.from_env({"JITSUIN_RADIUS_SERVER_CA": str(bundle)})
    assert config.wifi.server_cas == (pki.root.certificate, pki.intermediate.certificate)
    assert not config.wifi.configured  # no server name yet
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(pem(pki.client()))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for path, words in [
        (tmp_path / "missing.pem", "is not a readable file"),
        (garbage, "holds no PEM certificate"),
        (leaf, "is not a CA certificate"),
    ]:
        with pytest.raises(ConfigError, match=f"^JITSUIN_RADIUS_SERVER_CA: .*{words}"):
            JitsuinConfig.from_env({"JITSUIN_RADIUS_SERVER_CA": str(path)})


def test_wifi_is_configured_with_both_the_server_name_and_its_ca(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(ca_pem())
    env = {
        "JITSUIN_RADIUS_SERVER_NAME": "radius.example.ac.jp",
        "JITSUIN_RADIUS_SERVER_CA": str(bundle),
        "JITSUIN_EDUROAM_REALM": "Example.AC.jp",
    }
    wifi = JitsuinConfig.from_env(env).wifi
    assert wifi.configured and wifi.realm == "example.ac.jp" and wifi.server_ca_path == bundle
    with pytest.raises(ConfigError, match="JITSUIN_EDUROAM_REALM"):
        JitsuinConfig.from_env({**env, "JITSUIN_EDUROAM_REALM": "@example.ac.jp"})
