import pytest
from django.core.cache import cache
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Request
from tests.api.tokens import bearer
from tests.notify import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def certificate(ca_hierarchy):
    return factories.certificate(factories.person("s2410001"), at=timezone.now())


def _revoke(client, serial, headers, **body):
    return client.post(
        f"/api/v1/certificates/{serial}/revoke",
        data=body,
        content_type="application/json",
        **headers,
    )


def test_a_revocation_is_queued_once_per_key_and_audited_as_the_token(client, certificate):
    headers = bearer("certificates:revoke", name="idm")
    body = {"reason": "cessationOfOperation", "idempotency_key": "leaver-s2410001"}
    first = _revoke(client, certificate.serial, headers, **body)
    again = _revoke(client, certificate.serial, headers, **body)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["kind"] == "revoke" and first.json()["reason"] == "cessationOfOperation"
    request = Request.objects.get()
    assert request.requested_by == "token:idm" and request.target == certificate
    assert AuditEvent.objects.filter(actor="token:idm").exists()


def test_nothing_to_revoke_is_a_typed_409_and_an_unknown_serial_404(client, certificate):
    headers = bearer("certificates:revoke")
    factories.revoke(certificate, at=timezone.now())
    answer = _revoke(client, certificate.serial, headers, idempotency_key="k1")
    assert answer.status_code == 409 and answer.json()["code"] == "already_revoked"
    missing = _revoke(client, "abcdef", headers, idempotency_key="k2")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_bad_reason_or_key_is_a_typed_422(client, certificate):
    headers = bearer("certificates:revoke")
    for body in ({"idempotency_key": "k", "reason": "boredom"}, {"idempotency_key": "a b"}, {}):
        answer = _revoke(client, certificate.serial, headers, **body)
        assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"
    assert not Request.objects.exists()


def test_a_reader_cannot_revoke(client, certificate):
    answer = _revoke(client, certificate.serial, bearer("certificates:read"), idempotency_key="k")
    assert answer.status_code == 403 and not Request.objects.exists()
