"""SimpleSAMLphp 1.19 (Debian) identity providers on PHP's built-in server, configured in a
directory of their own: GakuNin-style attributes (urn:oid names, jaDisplayName...), a
``shibmd:Scope`` in their metadata, and jitsuin's SP registered with the signing and encryption
choices of each IdP.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from tests.sso.peers.keys import cert_base64, self_signed
from tests.sso.peers.processes import free_port, running

SSP_ROOT = Path("/usr/share/simplesamlphp")
SSP_CONFIG = Path("/etc/simplesamlphp")
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
PASSWORD = "pass"


@dataclass(frozen=True)
class SamlIdp:
    """One IdP: ``name`` and ``scope`` (its ePPN domain), and how it treats jitsuin's SP."""

    name: str
    scope: str
    sign_assertion: bool = True
    sign_response: bool = False
    encrypt_assertion: bool = False
    port: int = 0

    @property
    def base(self) -> str:
        # On `localhost`, while jitsuin is on 127.0.0.1: the ACS POST is really cross-site.
        return f"http://localhost:{self.port}"

    @property
    def entity_id(self) -> str:
        return f"{self.base}/idp/shibboleth"

    @property
    def display_name(self) -> str:
        return f"Test University ({self.name})"


def _php(value: object) -> str:
    """A PHP literal for a str, bool or list of str."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_php(item) for item in value) + "]"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _users(scope: str) -> dict[str, dict[str, list[str]]]:
    """The IdP's people: attribute name -> values, as a GakuNin IdP releases them."""
    return {
        "taro": {
            "eduPersonPrincipalName": [f"s2310002@{scope}"], "mail": [f"s2310002@{scope}"],
            "displayName": ["Taro Yamada"], "jaDisplayName": ["山田 太郎"],
            "givenName": ["Taro"], "sn": ["Yamada"], "jaGivenName": ["太郎"], "jasn": ["山田"],
            "eduPersonAffiliation": ["student", "member"],
            "eduPersonScopedAffiliation": [f"student@{scope}"],
            "o": ["Example University"], "ou": ["Faculty of Engineering"],
        },
        "hanako": {
            "eduPersonPrincipalName": [f"hanako@{scope}"], "mail": [f"hanako@{scope}"],
            "displayName": ["Hanako Sato"], "jaDisplayName": ["佐藤 花子"],
            "eduPersonAffiliation": ["faculty", "member"],
        },
        "nomail": {"eduPersonPrincipalName": [f"nomail@{scope}"], "displayName": ["No Mail"]},
        # Whatever its scope, this IdP asserts an ePPN of example.ac.jp.
        "victim": {
            "eduPersonPrincipalName": ["s2310002@example.ac.jp"], "mail": [f"attacker@{scope}"],
            "displayName": ["Other IdP user"],
        },
        # Unscoped, named like jitsuin's local superuser.
        "breakglass": {"eduPersonPrincipalName": ["breakglass"], "mail": [f"bg@{scope}"]},
    }  # fmt: skip


def configure(
    idp: SamlIdp, directory: Path, sp_entity_id: str, sp_base: str, sp_cert: Path
) -> Path:
    """Write ``idp``'s configuration directory under ``directory``; returns it."""
    home = directory / idp.name
    for sub in ("config", "metadata", "cert", "log", "data", "tmp"):
        (home / sub).mkdir(parents=True)
    self_signed(home / "cert", "idp", f"{idp.name}-idp")
    port = idp.port
    base_config = (SSP_CONFIG / "config.php").read_text()
    overrides = {
        "baseurlpath": f"{idp.base}/",
        "certdir": f"{home}/cert/",
        "loggingdir": f"{home}/log/",
        "datadir": f"{home}/data/",
        "tempdir": f"{home}/tmp",
        "metadatadir": f"{home}/metadata/",
        "attributenamemapdir": f"{home}/config/attributemap/",
        "secretsalt": f"jitsuin-tests-{idp.name}-0123456789abcdef",
        "auth.adminpassword": "admin-not-used",
        "enable.saml20-idp": True,
        "logging.handler": "file",
        "session.cookie.secure": False,
        # SSP 1.19 would send SameSite=None without Secure over http, which Chromium drops.
        "session.cookie.samesite": "Lax",
        # Cookies are per host, not per port: each instance needs names of its own.
        "session.cookie.name": f"SSPS{port}",
        "session.phpsession.cookiename": f"SSP{port}",
        "session.authtoken.cookiename": f"SSPAT{port}",
        "timezone": "Asia/Tokyo",
        "store.type": "phpsession",
    }
    lines = [f"$config[{_php(k)}] = {_php(v)};" for k, v in overrides.items()]
    lines.append(
        "$config['module.enable'] = ['exampleauth' => true, 'saml' => true, 'core' => true];"
    )
    (home / "config" / "config.php").write_text(
        base_config + "\n// jitsuin test overrides\n" + "\n".join(lines) + "\n"
    )
    _attribute_maps(home / "config" / "attributemap")
    _authsources(home / "config" / "authsources.php", idp.scope)
    _hosted(home / "metadata" / "saml20-idp-hosted.php", idp)
    _sp_remote(home / "metadata" / "saml20-sp-remote.php", idp, sp_entity_id, sp_base, sp_cert)
    return home


def _attribute_maps(directory: Path) -> None:
    directory.mkdir()
    for source in (SSP_CONFIG / "attributemap").glob("*.php"):
        (directory / source.name).write_bytes(source.read_bytes())
    # name2oid plus GakuNin's jasn, jaGivenName, jaDisplayName (urn:oid:1.3.6.1.4.1.32264.1.1.*).
    (directory / "gakunin2oid.php").write_text(
        "<?php\ninclude __DIR__ . '/name2oid.php';\n"
        "$attributemap['jasn'] = 'urn:oid:1.3.6.1.4.1.32264.1.1.1';\n"
        "$attributemap['jaGivenName'] = 'urn:oid:1.3.6.1.4.1.32264.1.1.2';\n"
        "$attributemap['jaDisplayName'] = 'urn:oid:1.3.6.1.4.1.32264.1.1.3';\n"
    )


def _authsources(path: Path, scope: str) -> None:
    users = "".join(
        f"    {_php(login + ':' + PASSWORD)} => ["
        + ", ".join(f"{_php(name)} => {_php(values)}" for name, values in attributes.items())
        + "],\n"
        for login, attributes in _users(scope).items()
    )
    path.write_text(
        "<?php\n$config = [\n  'example-userpass' => [\n    'exampleauth:UserPass',\n"
        + users
        + "  ],\n];\n"
    )


def _hosted(path: Path, idp: SamlIdp) -> None:
    path.write_text(f"""<?php
$metadata[{_php(idp.entity_id)}] = [
  'host' => '__DEFAULT__',
  'privatekey' => 'idp.key', 'certificate' => 'idp.crt',
  'auth' => 'example-userpass',
  'scope' => {_php([idp.scope])},
  'NameIDFormat' => {_php(TRANSIENT)},
  'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
  'authproc' => [100 => ['class' => 'core:AttributeMap', 'gakunin2oid']],
  'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'OrganizationName' => ['en' => {_php(idp.display_name)}],
  'OrganizationDisplayName' => ['en' => {_php(idp.display_name)}],
  'OrganizationURL' => ['en' => {_php(idp.base + "/")}],
];
""")


def _sp_remote(path: Path, idp: SamlIdp, entity_id: str, sp_base: str, sp_cert: Path) -> None:
    acs, sls = _php(sp_base + "/account/saml2/acs/"), _php(sp_base + "/account/saml2/ls/")
    path.write_text(f"""<?php
$metadata[{_php(entity_id)}] = [
  'AssertionConsumerService' => [['Binding' => {_php(HTTP_POST)}, 'Location' => {acs}]],
  'SingleLogoutService' => [['Binding' => {_php(HTTP_REDIRECT)}, 'Location' => {sls}]],
  'certData' => {_php(cert_base64(sp_cert))},
  'NameIDFormat' => {_php(TRANSIENT)},
  'saml20.sign.assertion' => {_php(idp.sign_assertion)},
  'saml20.sign.response' => {_php(idp.sign_response)},
  'assertion.encryption' => {_php(idp.encrypt_assertion)},
  'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
];
""")  # fmt: skip


@contextmanager
def serving(idp: SamlIdp, home: Path, php: str) -> Iterator[None]:
    """``php -S`` serving SimpleSAMLphp with ``home``'s configuration on ``idp.port``."""
    env = {"PATH": "/usr/bin:/bin", "SIMPLESAMLPHP_CONFIG_DIR": str(home / "config")}
    argv = [
        php,
        # PHP 8.2 deprecation notices printed into pages break SimpleSAMLphp 1.19's sessions.
        "-d", "display_errors=0", "-d", "log_errors=1",
        "-d", f"error_log={home}/php-errors.log", "-d", f"session.save_path={home}/tmp",
        "-S", f"127.0.0.1:{idp.port}", "-t", str(SSP_ROOT / "www"),
    ]  # fmt: skip
    with running(argv, port=idp.port, log=home / "php.log", env=env):
        yield


def metadata(idp: SamlIdp) -> bytes:
    """The IdP's own SAML metadata (an EntityDescriptor), as SimpleSAMLphp publishes it."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{idp.port}/saml2/idp/metadata.php",
        headers={"Host": f"localhost:{idp.port}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return bytes(answer.read())


def with_port(idp: SamlIdp) -> SamlIdp:
    """``idp`` on a free port of this machine."""
    return replace(idp, port=free_port())
