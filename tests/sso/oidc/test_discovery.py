"""Endpoints come from the issuer's discovery document: fetched when first needed, only when it
names exactly the configured issuer, kept (in memory and on disk), and its last good copy used
while the provider is down."""

from __future__ import annotations

import json

import pytest

from jitsuin.sso.oidc.discovery import REFRESH_AFTER, RETRY_AFTER, Discovery, discovery_url
from jitsuin.sso.oidc.fetch import MAX_BYTES, OpUnavailable

WELL_KNOWN = "/.well-known/openid-configuration"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def discovery_of(op, tmp_path, clock=None, **overrides):  # type: ignore[no-untyped-def]
    return Discovery(op.issuer, tmp_path / "oidc", overrides, clock=clock or Clock())


def test_the_document_is_fetched_once_when_first_needed_and_kept(op, tmp_path):
    found = discovery_of(op, tmp_path)
    assert op.requests == []
    assert found.require("token_endpoint") == f"{op.issuer}/token"
    assert found.endpoint("end_session_endpoint") == f"{op.issuer}/session/end"
    assert op.requests == [WELL_KNOWN]
    saved = json.loads((tmp_path / "oidc" / "openid-configuration.json").read_text())
    assert saved["document"]["issuer"] == op.issuer


def test_the_well_known_url_drops_a_trailing_slash_of_the_issuer():
    assert discovery_url("https://idp.example.ac.jp/realms/uni/") == (
        "https://idp.example.ac.jp/realms/uni/.well-known/openid-configuration"
    )


def test_a_document_naming_another_issuer_is_refused(op, tmp_path):
    op.document_changes["issuer"] = "https://evil.example.org"
    with pytest.raises(OpUnavailable, match="evil.example.org"):
        discovery_of(op, tmp_path).require("token_endpoint")
    assert not (tmp_path / "oidc" / "openid-configuration.json").exists()


def test_an_issuer_differing_only_by_a_trailing_slash_is_another_issuer(op, tmp_path):
    op.document_changes["issuer"] = op.issuer + "/"
    with pytest.raises(OpUnavailable, match="JITSUIN_OIDC_ISSUER"):
        discovery_of(op, tmp_path).metadata()


def test_a_new_process_uses_the_fresh_copy_on_disk_without_asking(op, tmp_path):
    clock = Clock()
    discovery_of(op, tmp_path, clock).metadata()
    clock.now += REFRESH_AFTER - 60
    again = discovery_of(op, tmp_path, clock)
    assert again.require("jwks_uri") == f"{op.issuer}/jwks"
    assert op.requests == [WELL_KNOWN]


def test_the_document_is_fetched_again_after_a_day(op, tmp_path):
    clock = Clock()
    found = discovery_of(op, tmp_path, clock)
    found.metadata()
    op.document_changes["end_session_endpoint"] = f"{op.issuer}/logout-v2"
    clock.now += REFRESH_AFTER + 1
    assert found.endpoint("end_session_endpoint") == f"{op.issuer}/logout-v2"
    assert op.requests == [WELL_KNOWN, WELL_KNOWN]


@pytest.mark.parametrize("failure", [503, 404, "hang up"])
def test_while_the_provider_is_down_the_last_good_copy_serves(op, tmp_path, failure, caplog):
    clock = Clock()
    discovery_of(op, tmp_path, clock).metadata()
    op.discovery_answer = failure
    clock.now += 3 * REFRESH_AFTER  # a restart long after: the copy is old, but the last good
    restarted = discovery_of(op, tmp_path, clock)
    assert restarted.require("token_endpoint") == f"{op.issuer}/token"
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    # ... and the provider is not asked again at every sign-in meanwhile.
    clock.now += RETRY_AFTER / 2
    restarted.metadata()
    assert op.requests.count(WELL_KNOWN) == 2


def test_with_the_provider_down_and_no_copy_the_failure_is_reported(op, tmp_path):
    op.discovery_answer = "hang up"
    with pytest.raises(OpUnavailable):
        discovery_of(op, tmp_path).metadata()


def test_a_copy_of_another_issuer_on_disk_is_not_used(op, tmp_path):
    discovery_of(op, tmp_path).metadata()
    other = Discovery("https://other.example.ac.jp", tmp_path / "oidc", clock=Clock())
    with pytest.raises(OpUnavailable):  # nothing answers at other.example.ac.jp
        other.metadata()


def test_an_oversized_document_is_refused(op, tmp_path):
    op.document_changes["padding"] = "x" * (MAX_BYTES + 1)
    with pytest.raises(OpUnavailable, match="larger than"):
        discovery_of(op, tmp_path).metadata()


def test_an_explicit_endpoint_wins_and_needs_no_fetch(op, tmp_path):
    found = discovery_of(op, tmp_path, token_endpoint="https://gw.example.ac.jp/token")
    assert found.require("token_endpoint") == "https://gw.example.ac.jp/token"
    assert op.requests == []
    assert found.require("authorization_endpoint") == f"{op.issuer}/auth"
    assert op.requests == [WELL_KNOWN]


def test_a_missing_endpoint_is_none_or_reported(op, tmp_path):
    op.document_changes["end_session_endpoint"] = None
    found = discovery_of(op, tmp_path)
    assert found.endpoint("end_session_endpoint") is None
    with pytest.raises(OpUnavailable, match="end_session_endpoint"):
        found.require("end_session_endpoint")
