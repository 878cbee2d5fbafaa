"""Leavers: deactivation, the grace, revocation with cessationOfOperation, e-mails once."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from cryptography import x509
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.config import ConfigError, JitsuinConfig, current
from jitsuin.jobs.schedule import JOBS
from jitsuin.lifecycle import leavers
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    LeaverState,
    Pickup,
    PickupState,
    Profile,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.lifecycle.services import request_issue
from jitsuin.notify.models import OutboxMessage
from tests.lifecycle.conftest import key, run_pipeline


def grace_days(monkeypatch, days: int) -> None:
    config = current()
    changed = dataclasses.replace(
        config, pipeline=dataclasses.replace(config.pipeline, leaver_grace_days=days)
    )
    monkeypatch.setattr(leavers, "current", lambda: changed)


@pytest.fixture
def leaving(profile, alice, t0):
    """Alice with a certificate waiting for pickup and an open request for another one."""
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    other = Profile.objects.create(slug="other", name_ja="他", name_en="Other")
    open_request = request_issue(
        alice, actor="user:alice", idempotency_key=key(), profile=other, now=t0
    )
    return Pickup.objects.get(request=request), open_request


def leaver_mails():
    return OutboxMessage.objects.filter(event__in=["leaver_done", "leaver_helpdesk"])


def test_grace_zero_revokes_wipes_cancels_and_mails_once(leaving, alice, t0, monkeypatch):
    grace_days(monkeypatch, 0)
    pickup, open_request = leaving
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    leaver = leavers.deactivate(alice, actor="cli:staff", reason="graduated", now=t0)
    assert leaver.state == LeaverState.DONE
    alice.refresh_from_db()
    assert not alice.active
    pickup.refresh_from_db()
    assert pickup.state == PickupState.DESTROYED and pickup.sealed_pkcs12_compatible is None
    open_request.refresh_from_db()
    assert open_request.state == RequestState.CANCELLED
    assert run_pipeline(t0) == ["revoked"]
    certificate = Certificate.objects.get(pk=pickup.certificate_id)
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "cessationOfOperation"
    # One e-mail to the person and one to the helpdesk; no per-request ones.
    assert sorted(leaver_mails().values_list("to", flat=True)) == sorted(
        [alice.email, current().helpdesk_email]
    )
    new_mails = OutboxMessage.objects.exclude(pk__in=before)
    assert sorted(new_mails.values_list("event", flat=True)) == ["leaver_done", "leaver_helpdesk"]
    assert "cessationOfOperation" not in leaver_mails().get(to=alice.email).body
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"person.deactivated", "leaver.done", "pickup.destroyed"} <= actions


def test_someone_who_never_held_a_certificate_leaves_without_e_mails(
    profile, alice, t0, monkeypatch
):
    """Provisioned inactive (SCIM, an import) or never issued: nothing to tell anyone."""
    grace_days(monkeypatch, 0)
    leaver = leavers.deactivate(alice, actor="token:idm", reason="provisioned inactive", now=t0)
    assert leaver.state == LeaverState.DONE
    assert leaver_mails().count() == 0
    assert AuditEvent.objects.filter(action="leaver.done").count() == 1


def test_the_crl_says_cessation_of_operation(leaving, alice, t0, monkeypatch):
    grace_days(monkeypatch, 0)
    pickup, _open = leaving
    leavers.deactivate(alice, actor="cli:staff", now=t0)
    run_pipeline(t0)
    certificate = Certificate.objects.get(pk=pickup.certificate_id)
    crl = x509.load_der_x509_crl(
        bytes(publish_crl(certificate.issuer, now=t0 + timedelta(minutes=1)).der)
    )
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_int)
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.cessation_of_operation


def test_running_the_leaver_twice_mails_once(leaving, alice, t0, monkeypatch):
    grace_days(monkeypatch, 0)
    leaver = leavers.deactivate(alice, actor="cli:staff", now=t0)
    assert leavers.finish(leaver.pk, now=t0) is False
    assert leavers.finish_due(t0 + timedelta(days=1)) == 0
    assert leavers.deactivate(alice, actor="cli:staff", now=t0).pk == leaver.pk
    assert leaver_mails().count() == 2
    assert Request.objects.filter(kind=RequestKind.REVOKE).count() == 1


def test_a_worker_dying_mid_way_leaves_it_pending_for_the_next(leaving, alice, t0, monkeypatch):
    grace_days(monkeypatch, 3)
    leaver = leavers.deactivate(alice, actor="cli:staff", now=t0)
    later = t0 + timedelta(days=3)

    def dies(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(leavers.notifications, "leaver_done", dies)
        with pytest.raises(RuntimeError):
            leavers.finish(leaver.pk, now=later)
    leaver.refresh_from_db()
    assert leaver.state == LeaverState.PENDING
    assert not Request.objects.filter(kind=RequestKind.REVOKE).exists()
    assert leavers.finish_due(later) == 1
    assert leavers.finish_due(later) == 0
    assert leaver_mails().count() == 2


def test_grace_n_waits_for_the_clock(leaving, alice, t0, monkeypatch):
    grace_days(monkeypatch, 7)
    pickup, _open = leaving
    leaver = leavers.deactivate(alice, actor="cli:staff", now=t0)
    assert leaver.state == LeaverState.PENDING
    assert leaver.grace_ends_at == t0 + timedelta(days=7)
    assert leavers.finish_due(t0 + timedelta(days=6)) == 0
    assert not Request.objects.filter(kind=RequestKind.REVOKE).exists()
    pickup.refresh_from_db()
    assert pickup.state == PickupState.READY
    assert leavers.finish_due(t0 + timedelta(days=7)) == 1
    run_pipeline(t0 + timedelta(days=7))
    certificate = Certificate.objects.get(pk=pickup.certificate_id)
    assert certificate.status == CertificateStatus.REVOKED
    assert leaver_mails().count() == 2


def test_reactivation_within_the_grace_cancels(leaving, alice, t0, monkeypatch):
    grace_days(monkeypatch, 7)
    pickup, _open = leaving
    leaver = leavers.deactivate(alice, actor="cli:staff", now=t0)
    assert leavers.reactivate(alice, actor="cli:staff", now=t0 + timedelta(days=1)) is not None
    leaver.refresh_from_db()
    alice.refresh_from_db()
    assert leaver.state == LeaverState.CANCELLED and alice.active
    assert leavers.finish_due(t0 + timedelta(days=8)) == 0
    assert leavers.finish(leaver.pk, now=t0 + timedelta(days=8)) is False
    certificate = Certificate.objects.get(pk=pickup.certificate_id)
    assert certificate.status == CertificateStatus.VALID
    assert not leaver_mails().exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"leaver.cancelled", "person.reactivated"} <= actions


def test_reactivation_after_the_grace_undoes_nothing(leaving, alice, t0, monkeypatch):
    grace_days(monkeypatch, 0)
    pickup, _open = leaving
    leavers.deactivate(alice, actor="cli:staff", now=t0)
    run_pipeline(t0)
    assert leavers.reactivate(alice, actor="cli:staff", now=t0) is None
    alice.refresh_from_db()
    assert alice.active
    certificate = Certificate.objects.get(pk=pickup.certificate_id)
    assert certificate.status == CertificateStatus.REVOKED


def test_an_inactive_person_cannot_request(profile, alice, t0, monkeypatch):
    grace_days(monkeypatch, 7)
    leavers.deactivate(alice, actor="cli:staff", now=t0)
    with pytest.raises(NotAllowed) as refused:
        request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert refused.value.code == "inactive"


def test_an_inactive_person_is_refused_at_the_portal(profile, alice, t0, monkeypatch):
    grace_days(monkeypatch, 7)
    alice.user = get_user_model().objects.create_user(username="alice")
    alice.save(update_fields=["user"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice.user)
    assert client.get(reverse("portal:home")).status_code == 200
    leavers.deactivate(alice, actor="cli:staff", now=t0)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 403
    assert "deactivated" in response.content.decode()
    # Signed out: the next request goes to the sign-in page.
    assert client.get(reverse("portal:home")).status_code == 302


def test_the_grace_setting_is_checked_at_start_up():
    assert JitsuinConfig.from_env({}).pipeline.leaver_grace_days == 0
    assert (
        JitsuinConfig.from_env({"JITSUIN_LEAVER_GRACE_DAYS": "30"}).pipeline.leaver_grace_days == 30
    )
    for bad in ("-1", "two"):
        with pytest.raises(ConfigError, match="JITSUIN_LEAVER_GRACE_DAYS"):
            JitsuinConfig.from_env({"JITSUIN_LEAVER_GRACE_DAYS": bad})


def test_the_sweep_is_scheduled():
    assert "jitsuin.lifecycle.leavers.finish_due" in {job.fn for job in JOBS}


def test_the_grace_end_is_queued_for_the_worker(
    alice, t0, monkeypatch, django_capture_on_commit_callbacks
):

    grace_days(monkeypatch, 7)
    with django_capture_on_commit_callbacks(execute=True):
        leaver = leavers.deactivate(alice, actor="cli:staff", now=timezone.now())
    queued = DBTaskResult.objects.get(task_path="jitsuin.lifecycle.tasks.finish_leaver")
    assert queued.args_kwargs["args"] == [leaver.pk]
    assert queued.run_after == leaver.grace_ends_at


def test_the_e_mails_read_well_in_both_languages(leaving, alice, t0, monkeypatch):
    grace_days(monkeypatch, 0)
    pickup, _open = leaving
    leavers.deactivate(alice, actor="cli:staff", reason="graduated", now=t0)
    serial = Certificate.objects.get(pk=pickup.certificate_id).serial_number.hex
    person = leaver_mails().get(event="leaver_done")
    assert person.language == "ja" and "失効しました" in person.body and serial in person.body
    helpdesk = leaver_mails().get(event="leaver_helpdesk")
    assert "ヘルプデスク各位" in helpdesk.body and "Dear helpdesk" in helpdesk.body
    assert "graduated" in helpdesk.body and serial in helpdesk.body
