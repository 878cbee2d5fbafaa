"""One set of real peers for the whole SSO end-to-end suite (started once per session):

- SimpleSAMLphp IdPs "uni" (example.ac.jp), "evil" (other-u.ac.jp) and "shib" (shib-u.ac.jp:
  encrypts the assertion and signs only the Response, as a stock Shibboleth IdP does), listed
  in a signed federation aggregate served over HTTP;
- panva's oidc-provider (node), with a token-endpoint tamper proxy in front of it;
- jitsuin (`jitsuin serve`, on a PostgreSQL database of its own) behind nginx TLS;
- headless Chromium, one fresh context (no cookies) per walk.

The suite runs on CI's PostgreSQL pass only; elsewhere it skips.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.browser.helpers import ARGS
from tests.peers import peers_required, require_tool
from tests.sso.peers import federation, ssp
from tests.sso.peers.keys import op_signing_key, self_signed
from tests.sso.peers.peerset import DIRECTORY, SUPERUSER, Peers
from tests.sso.peers.processes import free_port, running
from tests.sso.peers.site import Site, own_database
from tests.sso.peers.tamper import tamper_proxy
from tests.sso.peers.tls_proxy import tls_proxy

OP_DIR = Path(__file__).resolve().parent / "op"
CLIENT_ID = "jitsuin"
CLIENT_SECRET = "jitsuin-oidc-secret-0123456789"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The suite drives real peers: marked so, as CI runs `peers` on the PostgreSQL pass only."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.peers)


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres:", "postgresql:"))


def _require_simplesamlphp() -> None:
    if ssp.SSP_ROOT.is_dir() and (ssp.SSP_CONFIG / "config.php").is_file():
        return
    message = f"SimpleSAMLphp is not installed ({ssp.SSP_ROOT})"
    if peers_required():
        pytest.fail(message + " (JITSUIN_REQUIRE_PEERS=1)")
    pytest.skip(message)


def _require_op_modules() -> None:
    if (OP_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    message = f"oidc-provider is not installed: run `npm ci --prefix {OP_DIR}`"
    if peers_required():
        pytest.fail(message + " (JITSUIN_REQUIRE_PEERS=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def peer_set(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peers]:
    if not on_postgres():
        pytest.skip("runs on the PostgreSQL pass")
    php, node, nginx, xmlsec1 = (require_tool(n) for n in ("php", "node", "nginx", "xmlsec1"))
    chromium = require_tool("chromium")
    _require_simplesamlphp()
    _require_op_modules()

    # Kept by pytest after the run (the last three): the peers' logs, for a failure's story.
    work = tmp_path_factory.mktemp("sso-peers")
    shots = work / "shots"
    shots.mkdir()
    with ExitStack() as stack:
        https_port, jitsuin_port, op_port = free_port(), free_port(), free_port()
        base = f"https://127.0.0.1:{https_port}"
        sp_entity_id = f"{base}/account/saml2/metadata/"
        keys = work / "keys"
        keys.mkdir()
        sp_key, sp_cert = self_signed(keys, "sp", "jitsuin-sp")
        federation_key, federation_cert = self_signed(keys, "federation", "Test Federation")

        # The OpenID Provider and the proxy in front of its token endpoint.
        op_key, op_jwk = op_signing_key(keys)
        issuer = f"http://127.0.0.1:{op_port}"
        op_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "OP_ISSUER": issuer, "OP_PORT": str(op_port), "OP_KEY_FILE": str(op_jwk),
            "OP_CLIENT_ID": CLIENT_ID, "OP_CLIENT_SECRET": CLIENT_SECRET,
            "OP_REDIRECT_URIS": f"{base}/account/oidc/callback/",
            "OP_POST_LOGOUT_REDIRECT_URIS": " ".join(
                f"{base}{path}" for path in ("/account/signed-out/", "/account/login/", "/")
            ),
        }  # fmt: skip
        stack.enter_context(
            running([node, str(OP_DIR / "op.mjs")], port=op_port, log=work / "op.log", env=op_env)
        )
        tamper = stack.enter_context(tamper_proxy(f"{issuer}/token", op_key))

        # The SAML IdPs, and the federation aggregate that lists them, signed.
        idps = {
            idp.name: ssp.with_port(idp)
            for idp in (
                ssp.SamlIdp("uni", "example.ac.jp"),
                ssp.SamlIdp("evil", "other-u.ac.jp"),
                ssp.SamlIdp(
                    "shib",
                    "shib-u.ac.jp",
                    sign_assertion=False,
                    sign_response=True,
                    encrypt_assertion=True,
                ),  # fmt: skip
            )
        }
        for idp in idps.values():
            home = ssp.configure(idp, work / "ssp", sp_entity_id, base, sp_cert)
            stack.enter_context(ssp.serving(idp, home, php))
        published = work / "published"
        published.mkdir()
        unsigned = work / "federation-unsigned.xml"
        unsigned.write_text(
            federation.aggregate(
                [ssp.metadata(idp) for idp in idps.values()],
                valid_for=datetime.timedelta(days=2),
            )
        )
        federation.sign(
            xmlsec1, unsigned, published / "federation.xml", federation_key, federation_cert
        )
        metadata = stack.enter_context(federation.metadata_server(published))

        # jitsuin on its own database, behind nginx.
        data_dir = work / "jitsuin"
        data_dir.mkdir()
        database = stack.enter_context(own_database(f"jitsuin_sso_{os.getpid()}"))
        settings = {
            "JITSUIN_PUBLIC_URL": base,
            "JITSUIN_TRUSTED_PROXIES": "127.0.0.1/32",
            "JITSUIN_OIDC_ISSUER": issuer,
            "JITSUIN_OIDC_CLIENT_ID": CLIENT_ID,
            "JITSUIN_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            # The other endpoints come from discovery; every code exchange goes through the
            # proxy (which passes tokens unchanged unless a test asks otherwise).
            "JITSUIN_OIDC_TOKEN_ENDPOINT": tamper.url,
            "JITSUIN_SAML_METADATA_URL": metadata.url("federation.xml"),
            "JITSUIN_SAML_METADATA_CERT": str(federation_cert),
            "JITSUIN_SAML_KEY_FILE": str(sp_key),
            "JITSUIN_SAML_CERT_FILE": str(sp_cert),
            "JITSUIN_XMLSEC1": xmlsec1,
            "JITSUIN_SSO_PROVISIONING": "off",
        }
        site = Site.make(data_dir, database, jitsuin_port, **settings)
        site.cli("migrate", "--verbosity", "0")
        for uid, (email, name) in DIRECTORY.items():
            site.cli("user", "add", uid, "--email", email, "--name", name)
        site.cli(
            "shell", "-c",
            "from django.contrib.auth.models import User; User.objects.create_superuser("
            f"{SUPERUSER!r}, 'root@example.ac.jp', 'a-long-local-pass-0')",
        )  # fmt: skip
        site.start()
        stack.callback(site.stop)
        stack.enter_context(tls_proxy(nginx, work / "nginx", https_port, jitsuin_port))

        from playwright.sync_api import sync_playwright

        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[*ARGS, "--disable-quic", "--ignore-certificate-errors"],
        )
        stack.callback(browser.close)
        print(f"\nSSO peers up: {base}; screenshots in {shots}")
        yield Peers(
            base=base, site=site, idps=idps, op_issuer=issuer, tamper=tamper,
            metadata=metadata, browser=browser, shots=shots,
        )  # fmt: skip


@pytest.fixture
def peers(peer_set: Peers) -> Iterator[Peers]:
    """The session's peers; the browser contexts a test opens are closed after it."""
    yield peer_set
    peer_set.close_pages()
