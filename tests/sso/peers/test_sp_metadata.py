"""The SP metadata is what a federation fetches, from outside the campus network."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request

import pytest

from tests.sso.peers.peerset import Peers

pytestmark = [pytest.mark.peers]
OFF_CAMPUS = "203.0.113.5"  # TEST-NET-3, outside JITSUIN_ALLOWED_NETWORKS


def _get_off_campus(url: str) -> tuple[int, bytes]:
    """GET ``url`` through nginx as if from ``OFF_CAMPUS`` (nginx appends the hop it saw)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the fixture's own cert
    request = urllib.request.Request(url, headers={"X-Forwarded-For": OFF_CAMPUS})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_sp_metadata_is_served_off_campus(peers: Peers) -> None:
    status, body = _get_off_campus(f"{peers.base}/account/saml2/metadata/")

    assert status == 200
    assert b"EntityDescriptor" in body
    assert f'entityID="{peers.base}/account/saml2/metadata/"'.encode() in body


def test_the_sign_in_page_stays_campus_only(peers: Peers) -> None:
    status, body = _get_off_campus(f"{peers.base}/account/login/")

    assert status == 403
