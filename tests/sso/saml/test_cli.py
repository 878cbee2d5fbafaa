"""`jitsuin sso refresh-metadata` as an administrator runs it: a real process, a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.peers import require_tool
from tests.serving import run_jitsuin, site_env
from tests.sso.saml.federation import EVIL, UNI, Idp, federation, key_pair, metadata_server

pytestmark = pytest.mark.slow


def test_refresh_metadata_verifies_and_reports_then_keeps_the_last_good_copy(tmp_path: Path):
    require_tool("xmlsec1")
    keys = tmp_path / "keys"
    signer, uni = key_pair(keys, "federation"), key_pair(keys, "uni")
    body = federation(
        [Idp(UNI, uni, (("example.ac.jp", False),)), Idp(EVIL, uni, (("other-u.ac.jp", False),))],
        signer=signer,
    )
    with metadata_server(body) as served:
        env = site_env(
            tmp_path / "site",
            JITSUIN_SAML_METADATA_URL=served.url,
            JITSUIN_SAML_METADATA_CERT=str(signer.cert),
        )
        fresh = run_jitsuin(env, "sso", "refresh-metadata")
        assert fresh.returncode == 0, fresh.stderr
        assert "metadata updated: 2 IdP(s)" in fresh.stdout
        served.status = 503
        down = run_jitsuin(env, "sso", "refresh-metadata")
    assert down.returncode != 0
    assert "Traceback" not in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1  # one line for the person at the keyboard
    assert "keeping the copy of" in down.stderr


def test_refresh_metadata_without_saml_says_what_to_set(tmp_path: Path):
    result = run_jitsuin(site_env(tmp_path), "sso", "refresh-metadata")
    assert result.returncode != 0
    assert "JITSUIN_SAML_METADATA_URL" in result.stderr and "Traceback" not in result.stderr
