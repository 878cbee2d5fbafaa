"""Revoke requests: one per certificate, recorded once, the signal after the row says so."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle import certificates
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from jitsuin.lifecycle.models import CertificateStatus, Request, RequestKind, RequestState
from jitsuin.lifecycle.services import request_revoke
from tests.lifecycle.conftest import T0, key, run_pipeline
from tests.lifecycle.test_permissions import certificate_for


@pytest.fixture
def cert(profile, alice):
    return certificate_for(alice, profile)


def test_double_click_makes_one_revoke_request(cert):
    first = request_revoke(cert, actor="user:alice", idempotency_key="r1", now=T0)
    assert request_revoke(cert, actor="user:alice", idempotency_key="r1", now=T0).pk == first.pk
    assert request_revoke(cert, actor="user:alice", idempotency_key="r2", now=T0).pk == first.pk
    assert Request.objects.filter(kind=RequestKind.REVOKE).count() == 1


def test_revocation_is_recorded_with_reason_and_time_then_published(cert, monkeypatch):
    seen = []
    publish = certificates.publishing.certificate_revoked

    def spy(certificate):
        seen.append((certificate.status, certificate.revocation_reason, certificate.revoked_at))
        publish(certificate)

    request_revoke(cert, actor="user:alice", idempotency_key=key(), reason="keyCompromise", now=T0)
    monkeypatch.setattr(certificates.publishing, "certificate_revoked", spy)
    assert run_pipeline(T0) == ["revoked"]
    assert seen == [(CertificateStatus.REVOKED, "keyCompromise", T0)]
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.REVOKED and cert.revoked_at == T0
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"request.revoke.created", "request.revoke.done", "certificate.revoked"} <= actions


def test_unknown_reason_already_revoked_and_expired_are_refused(cert, profile, alice):
    with pytest.raises(NotAllowed):
        request_revoke(cert, actor="u", idempotency_key=key(), reason="bored", now=T0)
    request_revoke(cert, actor="u", idempotency_key=key(), now=T0)
    run_pipeline(T0)
    with pytest.raises(InvalidState):
        request_revoke(cert, actor="u", idempotency_key=key(), now=T0)
    old = certificate_for(alice, profile, now=T0 - timedelta(days=60), days=30)
    with pytest.raises(InvalidState):
        request_revoke(old, actor="u", idempotency_key=key(), now=T0)


def test_revoke_cannot_be_cancelled_once_at_the_upstream(cert):
    from jitsuin.lifecycle.pipeline import advance
    from jitsuin.lifecycle.services import cancel_request
    from tests.chaos.connector import chaos

    request = request_revoke(cert, actor="u", idempotency_key=key(), now=T0)
    with chaos(delay=timedelta(minutes=10)):
        assert advance(request.pk, worker_id="w", now=T0) == "pending"
    with pytest.raises(InvalidState):
        cancel_request(request, actor="hd", reason="oops", now=T0)
    assert Request.objects.get(pk=request.pk).state == RequestState.PROCESSING
