from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jitsuin.authorities.models import Authority, PendingPublication, PublishedCrl
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing import nextupdate, ocsp_status
from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.revocations import revoke_authority
from jitsuin.authorities.services import certificate_of, signer_for
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import ENTRY_REASONS, RevokedEntry, build_crl, crl_number_of, encode_entry
from jitsuin.pki.ocsp import CertStatus
from tests.revocation.factories import issue, revoke
from tests.revocation.lint import pkilint

pytestmark = pytest.mark.django_db


def _load(row: PublishedCrl) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(bytes(row.der))


def test_a_revoked_certificate_appears_in_its_issuers_next_crl(pki):
    good, bad = issue(pki.current), issue(pki.current)
    revoke(bad, reason="keyCompromise")
    row = publishing.publish_crl(pki.current)
    crl = _load(row)
    assert crl.is_signature_valid(certificate_of(pki.current).public_key())
    entry = crl.get_revoked_certificate_by_serial_number(bad.certificate.serial_number)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.value
        == "keyCompromise"
    )
    assert crl.get_revoked_certificate_by_serial_number(good.certificate.serial_number) is None


def test_crl_numbers_increase_and_next_update_follows_the_configured_validity(pki):
    now = timezone.now()
    first = publishing.publish_crl(pki.current, now=now)
    second = publishing.publish_crl(pki.current, now=now + timedelta(minutes=1))
    assert second.number == first.number + 1
    assert first.next_update - first.this_update == timings().crl_validity


def test_a_burst_of_revocations_makes_one_pending_row_and_one_task(
    pki, django_capture_on_commit_callbacks
):
    certificates = [issue(pki.current) for _ in range(30)]
    tasks_before = DBTaskResult.objects.filter(task_path__endswith="publish_pending").count()
    with django_capture_on_commit_callbacks(execute=True):
        for item in certificates:
            revoke(item)
    assert PendingPublication.objects.get(authority=pki.current).changes == 30
    assert (
        DBTaskResult.objects.filter(task_path__endswith="publish_pending").count() - tasks_before
        == 1
    )
    later = timezone.now() + timings().crl_debounce + timedelta(seconds=1)
    published = publishing.publish_due(later)
    assert [row.entries for row in published] == [30]
    assert not PendingPublication.objects.exists()
    assert publishing.publish_due(later) == []


def test_pending_publication_waits_for_the_debounce_delay(pki):
    revoke(issue(pki.current))
    assert publishing.publish_due(timezone.now()) == []


def test_the_root_crl_lists_a_revoked_intermediate_as_an_arl(pki):
    revoke_authority(pki.old.name, reason="superseded", actor="test")
    row = publishing.publish_crl(pki.root)
    crl = _load(row)
    assert crl.get_revoked_certificate_by_serial_number(int(pki.old.serial, 16)) is not None
    pkilint("lint_crl", bytes(row.der), "-t", "ARL", "-p", "PKIX")


def test_a_scheduled_intermediate_revocation_reaches_the_root_crl_when_its_time_comes(pki):
    at = timezone.now() + timedelta(hours=2)
    revoke_authority(pki.old.name, reason="superseded", at=at, actor="test")
    before = publishing.publish_crl(pki.root)
    assert _load(before).get_revoked_certificate_by_serial_number(int(pki.old.serial, 16)) is None
    pending = PendingPublication.objects.get(authority=pki.root)
    assert pending.due_at == at
    after = publishing.publish_due(at + timedelta(seconds=1))[0]
    assert (
        _load(after).get_revoked_certificate_by_serial_number(int(pki.old.serial, 16)) is not None
    )


def test_every_ca_crl_lints_clean(pki):
    revoke(issue(pki.current))
    for authority in (pki.current, pki.old):
        pkilint("lint_crl", bytes(publishing.publish_crl(authority).der), "-t", "CRL", "-p", "PKIX")


def test_refresh_resigns_before_next_update_and_keeps_retired_cas(pki):
    now = timezone.now()
    publishing.refresh_crls(now)
    assert PublishedCrl.objects.count() == 3
    assert publishing.refresh_crls(now + timedelta(minutes=5)) == []
    later = publishing.refresh_crls(now + timings().crl_refresh + timedelta(seconds=1))
    assert {row.authority_id for row in later} == {pki.root.pk, pki.current.pk, pki.old.pk}


def test_next_crl_update_is_the_oldest_valid_crls_next_update(pki):
    now = timezone.now()
    assert publishing.next_crl_update(pki.current, now=now) is None
    first = publishing.publish_crl(pki.current, now=now)
    publishing.publish_crl(pki.current, now=now + timedelta(hours=1))
    assert (
        publishing.next_crl_update(pki.current, now=now + timedelta(hours=2)) == first.next_update
    )


def test_the_crl_bundle_holds_every_cas_crl(pki):
    bundle = publishing.crl_bundle_pem().encode()
    crls = [
        x509.load_pem_x509_crl(b"-----BEGIN X509 CRL-----" + part)
        for part in bundle.split(b"-----BEGIN X509 CRL-----")[1:]
    ]
    assert {c.issuer for c in crls} == {
        certificate_of(a).subject for a in (pki.root, pki.current, pki.old)
    }


def test_a_revocation_reaches_each_kind_of_relying_party_when_promised(pki):
    now = timezone.now()
    first = publishing.publish_crl(pki.current, now=now - timedelta(hours=1))
    item = revoke(issue(pki.current), at=now)
    serial = item.serial_int
    # OCSP clients: at once.
    status = ocsp_status.status_of(pki.current.pk, serial, now)
    assert status.status == CertStatus.REVOKED and status.revoked_at == now
    # The CRL listing it: published when its pending publication falls due, not before.
    due = PendingPublication.objects.get(authority=pki.current).due_at
    assert now + timings().crl_debounce <= due <= timezone.now() + timings().crl_debounce
    assert publishing.publish_due(due - timedelta(microseconds=1)) == []
    published = publishing.publish_due(due)[0]
    assert _load(published).get_revoked_certificate_by_serial_number(serial) is not None
    assert not PendingPublication.objects.filter(authority=pki.current).exists()
    # Services keeping the previous CRL: until its nextUpdate, as the revocation e-mail says.
    assert publishing.next_crl_update(pki.current, now=now) == first.next_update
    assert publishing.crl_visibility(item)["crl_by"] == first.next_update


def test_a_revocation_stores_its_crl_entry_as_the_crl_lists_it(pki):
    at = timezone.now() - timedelta(minutes=1)
    row = revoke(issue(pki.current), reason="cessationOfOperation", at=at)
    entry = RevokedEntry(row.serial_int, at, x509.ReasonFlags.cessation_of_operation)
    assert bytes(Certificate.objects.get(pk=row.pk).crl_entry) == encode_entry(entry)


def test_the_published_crl_equals_the_one_built_from_the_revocations_field_by_field(pki):
    now = timezone.now()
    at = now - timedelta(hours=1)
    names = [flag.value for flag in ENTRY_REASONS.values()]
    revoked = [revoke(issue(pki.current), reason=name, at=at) for name in names]
    Certificate.objects.filter(pk=revoked[0].pk).update(crl_entry=None)  # revoked before 0012
    revoke_authority(pki.old.name, reason="superseded", at=at, actor="test")
    old_ca = Authority.objects.get(pk=pki.old.pk)
    for authority, listed_rows in ((pki.current, revoked), (pki.root, [old_ca])):
        new = _load(publishing.publish_crl(authority, now=now))
        facts = [
            RevokedEntry(int(r.serial, 16), at, ENTRY_REASONS[r.revocation_reason])
            for r in listed_rows
        ]
        old = build_crl(
            signer_for(authority),
            facts,
            crl_number=crl_number_of(new),
            clock=FixedClock(now),
            validity=nextupdate.next_update(authority, now) - now,
        )
        assert new.is_signature_valid(certificate_of(authority).public_key())
        assert (new.issuer, new.last_update_utc, new.next_update_utc) == (
            old.issuer,
            old.last_update_utc,
            old.next_update_utc,
        )
        assert list(new.extensions) == list(old.extensions)
        listed = {r.serial_number: r for r in new}
        assert len(listed) == len(new) == len(old) == len(listed_rows)
        for theirs in old:
            mine = listed[theirs.serial_number]
            assert mine.revocation_date_utc == theirs.revocation_date_utc
            assert list(mine.extensions) == list(theirs.extensions)
    # The missing entry was encoded at publication and stored.
    assert not Certificate.objects.filter(pk__in=[r.pk for r in revoked], crl_entry=None).exists()


def test_publishing_reads_every_entry_in_the_same_number_of_queries(pki):
    revoke(issue(pki.current))
    with CaptureQueriesContext(connection) as one:
        assert publishing.publish_crl(pki.current).entries == 1
    for _ in range(20):
        revoke(issue(pki.current))
    with CaptureQueriesContext(connection) as many:
        assert publishing.publish_crl(pki.current).entries == 21
    assert len(many) == len(one)


def test_the_pem_of_a_published_crl_is_cryptographys(pki):
    row = publishing.publish_crl(pki.current)
    assert publishing.crl_pem(row) == _load(row).public_bytes(serialization.Encoding.PEM).decode()
