"""The leaver flow end to end, against a real FreeRADIUS: the identity system deactivates a
person over SCIM (HTTP, a ``scim`` token), the grace (0 days, the default) ends at once, the
pipeline revokes the certificate (``cessationOfOperation``), and FreeRADIUS refuses it — in
OCSP mode at once, in CRL mode after the documented sync and restart. Two e-mails, once."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest
from cryptography import x509
from django.utils import timezone

from jitsuin.access.tokens import create_token
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.lifecycle.models import Certificate, CertificateStatus
from jitsuin.notify.models import OutboxMessage
from tests.interop.test_freeradius import _radius, eap_tls
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


def stop(server) -> None:  # type: ignore[no-untyped-def]
    process, _port, log = server
    process.terminate()
    process.wait(timeout=10)
    log.close()


def test_a_scim_deactivation_reaches_freeradius(live):  # noqa: F811
    with live.db():
        leaver = issue(live.pki.current, uid="leaver")
        token, _ = create_token("idm", ["scim"], actor="test")
    (live.dir / "leaver.chain.pem").write_bytes(leaver.chain_pem)
    (live.dir / "leaver.key").write_bytes(leaver.key_pem)
    ocsp = _radius(live, "ocsp")
    crl = _radius(live, "crl")
    try:
        assert eap_tls(live, ocsp[1], "leaver") == "SUCCESS"
        assert eap_tls(live, crl[1], "leaver") == "SUCCESS"

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
        assert eap_tls(live, ocsp[1], "leaver") == "FAILURE"
        # CRL mode: the documented sync, then a restart (FreeRADIUS reads CRLs at start).
        stop(crl)
        shutil.rmtree(live.dir / "radius-crl")  # a fresh configuration; the sync runs again
        crl = _radius(live, "crl")
        assert eap_tls(live, crl[1], "leaver") == "FAILURE"

        with live.db():
            mails = OutboxMessage.objects.filter(event__in=["leaver_done", "leaver_helpdesk"])
            assert sorted(mails.values_list("event", flat=True)) == [
                "leaver_done",
                "leaver_helpdesk",
            ]
    finally:
        stop(ocsp)
        stop(crl)
