"""The leaver flow end to end, against a real FreeRADIUS: the identity system deactivates a
person over SCIM (HTTP, a ``scim`` token), the grace (0 days, the default) ends at once, the
pipeline revokes the certificate (``cessationOfOperation``), and FreeRADIUS refuses it — in
OCSP mode at once, in CRL mode after the documented sync and restart. Two e-mails, once."""

from __future__ import annotations

import json
import urllib.request

import pytest
from cryptography import x509
from django.utils import timezone

from jitsuin.access.tokens import create_token
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.lifecycle.models import Certificate, CertificateStatus
from jitsuin.notify.models import OutboxMessage
from tests.interop.radius import eap_tls, start_live_radius
from tests.lifecycle.conftest import run_pipeline
from tests.revocation.factories import issue
from tests.revocation.live import live  # noqa: F401 (fixture)

pytestmark = pytest.mark.peers


def scim_deactivate(live, token: str, person_id: int) -> int:  # noqa: F811
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    request = urllib.request.Request(  # noqa: S310 (the live test server)
        f"{live.url}/scim/v2/Users/{person_id}",
        data=json.dumps(body).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return int(answer.status)


def test_a_scim_deactivation_reaches_freeradius(live):  # noqa: F811
    with live.db():
        leaver = issue(live.pki.current, uid="leaver")
        token, _ = create_token("idm", ["scim"], actor="test")
    (live.dir / "leaver.chain.pem").write_bytes(leaver.chain_pem)
    (live.dir / "leaver.key").write_bytes(leaver.key_pem)
    ocsp = start_live_radius(live, "ocsp", mode="ocsp")
    crl = start_live_radius(live, "crl", mode="crl")
    try:
        assert eap_tls(live, ocsp.port, "leaver") == "SUCCESS"
        assert eap_tls(live, crl.port, "leaver") == "SUCCESS"

        assert scim_deactivate(live, token, leaver.row.person_id) == 200
        with live.db():
            assert run_pipeline(timezone.now()) == ["revoked"]
            row = Certificate.objects.get(pk=leaver.row.pk)
            assert row.status == CertificateStatus.REVOKED
            assert row.revocation_reason == "cessationOfOperation"
            published = publishing.publish_crl(live.pki.current)
            entry = x509.load_der_x509_crl(
                bytes(published.der)
            ).get_revoked_certificate_by_serial_number(row.serial_int)
            assert entry is not None

        # OCSP mode asks jitsuin on every login: refused at once.
        assert eap_tls(live, ocsp.port, "leaver") == "FAILURE"
        # CRL mode: the documented sync, then a restart (FreeRADIUS reads CRLs at start).
        crl.stop()
        crl = start_live_radius(live, "crl", mode="crl")  # the sync runs again
        assert eap_tls(live, crl.port, "leaver") == "FAILURE"

        with live.db():
            mails = OutboxMessage.objects.filter(event__in=["leaver_done", "leaver_helpdesk"])
            assert sorted(mails.values_list("event", flat=True)) == [
                "leaver_done",
                "leaver_helpdesk",
            ]
    finally:
        ocsp.stop()
        crl.stop()
