"""What a certificate costs in SQL statements through the whole pipeline: request_issue, then
one worker draining the queue (its batches: lifecycle.pipeline_batch). Counted on whichever
database the suite runs on (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jitsuin.audit.services import verify
from jitsuin.authorities.models import OcspResponse
from jitsuin.lifecycle.models import Certificate, Pickup, Profile, Request, RequestState
from jitsuin.lifecycle.pipeline_worker import PipelineWorker
from jitsuin.lifecycle.services import request_issue
from jitsuin.notify.models import OutboxMessage
from tests.lifecycle.conftest import key, make_person

pytestmark = pytest.mark.django_db(transaction=True)

N = 25
# The worker's share of a certificate: its batch's claim, signing, rows, OCSP answer, audit
# append and e-mail are each one statement or a few for the whole batch (51 before batches).
WORKER_BUDGET = 2.0
# request_issue, one click at a time: the person locked, policy (3 reads), the request row,
# its history, one audit append (2-3), the "received" e-mail, the maintenance check, two
# tasks; 23 before. The issue's target (10 for the whole pipeline) is not met here yet.
REQUEST_BUDGET = 18.1  # 18 each, and one statement once for the run


def _csr() -> str:
    private_key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    return csr.sign(private_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def p256_profile(profile: Profile) -> Profile:
    profile.key_spec = "p256"
    profile.save(update_fields=["key_spec"])
    return profile


def _through_the_pipeline(profile: Profile, *, csr: bool) -> tuple[int, int]:
    people = [make_person(f"q{i}") for i in range(N)]
    pems = [_csr() if csr else "" for _ in people]
    with CaptureQueriesContext(connection) as asked:
        requests = [
            request_issue(p, actor="test", idempotency_key=key(), profile=profile, csr_pem=pem)
            for p, pem in zip(people, pems, strict=True)
        ]
    with CaptureQueriesContext(connection) as worked:
        PipelineWorker(queue_names=["pipeline"], batch=True, tick_every=0, interval=0).run()
    end = RequestState.DONE if csr else RequestState.READY
    assert Request.objects.filter(pk__in=[r.pk for r in requests], state=end).count() == N
    return len(asked), len(worked)


def test_a_certificate_from_a_csr_costs_the_worker_at_most_two_statements(p256_profile):
    asked, worked = _through_the_pipeline(p256_profile, csr=True)
    assert worked / N <= WORKER_BUDGET, worked
    assert asked / N <= REQUEST_BUDGET, asked
    # Every fact of each issuance is there: one certificate, one stored OCSP answer and one
    # "ready" e-mail each; no pickup (the key is the requester's); the audit chain holds.
    assert Certificate.objects.count() == N
    assert OcspResponse.objects.filter(status="good").count() == N
    assert OutboxMessage.objects.filter(event="certificate_ready").count() == N
    assert not Pickup.objects.exists()
    assert verify() is None


def test_a_certificate_with_a_server_made_p256_key_costs_the_worker_at_most_two_statements(
    p256_profile,
):
    asked, worked = _through_the_pipeline(p256_profile, csr=False)
    assert worked / N <= WORKER_BUDGET, worked
    assert asked / N <= REQUEST_BUDGET, asked
    assert Pickup.objects.filter(state="ready").count() == N
    assert OcspResponse.objects.count() == N
    assert OutboxMessage.objects.filter(event="certificate_ready").count() == N
    assert verify() is None
