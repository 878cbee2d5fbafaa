"""FreeRADIUS 3.2 EAP-TLS, driven by eapol_test, with the eap module of
docs/relying-parties.md as written (paths and URL changed): once in CRL mode with the files of
the documented sync script, once in OCSP mode against jitsuin's live /ocsp.
Only the fresh certificate is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.radius import eap_tls, start_live_radius
from tests.revocation.live import (  # noqa: F401 (fixture)
    CLIENTS,
    doc_block,
    live,
    only_fresh_accepted,
)

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def radius_crl(live):  # noqa: F811
    server = start_live_radius(live, "crl", mode="crl")
    yield server.port
    server.stop()


@pytest.fixture(scope="module")
def radius_ocsp(live):  # noqa: F811
    server = start_live_radius(live, "ocsp", mode="ocsp")
    yield server.port
    server.stop()


EXPECTED = only_fresh_accepted("SUCCESS", "FAILURE")


@pytest.mark.parametrize("client", CLIENTS)
def test_crl_mode_accepts_only_the_fresh_certificate(live, radius_crl, client):  # noqa: F811
    assert eap_tls(live, radius_crl, client) == EXPECTED[client]


@pytest.mark.parametrize("client", CLIENTS)
def test_ocsp_mode_accepts_only_the_fresh_certificate(live, radius_ocsp, client):  # noqa: F811
    assert eap_tls(live, radius_ocsp, client) == EXPECTED[client]


def test_ocsp_mode_asked_jitsuin(live, radius_ocsp):  # noqa: F811
    from jitsuin.lifecycle import sightings
    from jitsuin.lifecycle.models import Certificate

    eap_tls(live, radius_ocsp, "fresh")
    with live.db():
        sightings.flush()
        assert Certificate.objects.get(pk=live.clients["fresh"].row.pk).last_seen_at is not None


def test_sync_script_reports_no_change_the_second_time(live, tmp_path: Path):  # noqa: F811
    target = tmp_path / "j"
    live.sync(target)
    assert (target / "hashed" / ".given").exists()
    assert len(list((target / "hashed").glob("*.r0"))) == 3  # root, current, old CRLs
