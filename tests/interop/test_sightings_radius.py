"""FreeRADIUS 3.2 reports each EAP-TLS login to jitsuin with the rlm_rest configuration of
docs/relying-parties.md, as written (URL, paths and token changed): a real eapol_test login
makes exactly one sighting; a refused login is reported as refused; a token without
``sightings:write`` is refused by jitsuin, and jitsuin not answering at all, while the login
itself is still accepted."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jitsuin.access.tokens import create_token
from jitsuin.sightings.models import Sighting
from tests.interop.radius import RadiusServer, eap_tls, start_live_radius
from tests.peers import require_tool
from tests.revocation.live import DOC_URL, doc_block, live  # noqa: F401 (fixture)

pytestmark = pytest.mark.peers

DOC_TOKEN = "jt_PUT_THE_TOKEN_HERE"  # noqa: S105 (the placeholder the page shows)
# A quote, a backslash and UTF-8: rlm_rest must escape them into the documented JSON body.
NAS = 'AP "library" 3F\\north \u00e9'


def start(live, name: str, token: str, url: str = "") -> RadiusServer:  # noqa: F811
    """FreeRADIUS in CRL mode with the documented rest module, policy and post-auth section."""
    if not Path("/usr/lib/freeradius/rlm_rest.so").exists():
        require_tool("rlm_rest (Debian package freeradius-rest)")

    def add_rest_module(conf: Path) -> None:
        module = doc_block("freeradius-sightings-module").replace(DOC_URL, url or live.url)
        (conf / "mods-available" / "jitsuin").write_text(module)
        (conf / "mods-enabled" / "jitsuin").symlink_to("../mods-available/jitsuin")
        policy = doc_block("freeradius-sightings-policy").replace(DOC_TOKEN, token)
        (conf / "policy.d" / "jitsuin").write_text(policy)

    return start_live_radius(
        live,
        name,
        mode="crl",
        post_auth=doc_block("freeradius-sightings-site"),
        prepare=add_rest_module,
    )


def login(live, server: RadiusServer, client: str) -> str:  # noqa: F811
    """One EAP-TLS login by eapol_test from NAS ``NAS``: SUCCESS or FAILURE."""
    return eap_tls(live, server.port, client, nas=NAS)


@pytest.fixture(scope="module")
def tokens(live):  # noqa: F811
    with live.db():
        writer, _ = create_token("radius-1", ["sightings:write"], actor="test")
        reader, _ = create_token("radius-wrong", ["certificates:read"], actor="test")
    return {"writer": writer, "reader": reader}


@pytest.fixture(scope="module")
def radius(live, tokens):  # noqa: F811
    server = start(live, "sightings", tokens["writer"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def radius_wrong_token(live, tokens):  # noqa: F811
    server = start(live, "wrong-token", tokens["reader"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def radius_without_jitsuin(live, tokens):  # noqa: F811
    """A RADIUS server whose jitsuin URL answers nothing (a port no one listens on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}"
    server = start(live, "no-jitsuin", tokens["writer"], url=nowhere)
    yield server
    server.stop()


def _sightings(live, client: str) -> list[Sighting]:  # noqa: F811
    with live.db():
        return list(Sighting.objects.filter(certificate_id=live.clients[client].row.pk))


def test_an_accepted_login_makes_exactly_one_sighting(live, radius):  # noqa: F811
    assert _sightings(live, "fresh") == []
    assert login(live, radius, "fresh") == "SUCCESS"
    (sighting,) = _sightings(live, "fresh")
    assert (sighting.token_name, sighting.nas_identifier, sighting.nas_ip) == (
        "radius-1",
        NAS,
        "127.0.0.1",
    )
    assert (sighting.accept_count, sighting.reject_count, sighting.last_result) == (1, 0, "accept")
    # The holder's portal shows it at once: the row was written while FreeRADIUS answered.
    with live.db():
        row = live.clients["fresh"].row
        person = row.person
        person.user = get_user_model().objects.create_user(username=person.uid)
        person.save(update_fields=["user"])
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(person.user)
        page = client.get(f"/certificates/{row.pk}/").content.decode()
    assert "Last used for Wi-Fi at" in page and "AP &quot;library&quot; 3F" in page, page


def test_a_refused_login_is_reported_as_refused(live, radius):  # noqa: F811
    assert login(live, radius, "revoked") == "FAILURE"
    (sighting,) = _sightings(live, "revoked")
    assert (sighting.accept_count, sighting.reject_count, sighting.last_result) == (0, 1, "reject")


def test_a_token_without_the_scope_is_refused_and_the_login_still_accepted(
    live,  # noqa: F811
    radius_wrong_token,
):
    before = len(_sightings(live, "fresh"))
    assert login(live, radius_wrong_token, "fresh") == "SUCCESS"
    assert len(_sightings(live, "fresh")) == before
    log = radius_wrong_token.log_path.read_text()
    assert 'REST-HTTP-Status-Code = "403"' in log and "Sent Access-Accept" in log, log[-3000:]


def test_jitsuin_down_does_not_block_a_login(live, radius_without_jitsuin):  # noqa: F811
    assert login(live, radius_without_jitsuin, "fresh") == "SUCCESS"
    log = radius_without_jitsuin.log_path.read_text()
    assert "[jitsuin_sightings] = fail" in log and "Sent Access-Accept" in log, log[-3000:]
