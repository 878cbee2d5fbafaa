"""The profile signer: issued once under the issuing CA, reused, renewed, chained to the root."""

from __future__ import annotations

import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities import services
from jitsuin.authorities.keys import key_store
from jitsuin.authorities.models import ProfileSigner
from jitsuin.authorities.profile_signer import RENEW_BEFORE, current_profile_signer
from jitsuin.pki.onboarding import mobileconfig
from tests.peers import require_tool
from tests.pki.onboarding.sample_inputs import sample_inputs


def _issued_events() -> int:
    return AuditEvent.objects.filter(action="profile_signer.issued").count()


@pytest.mark.django_db
def test_the_first_call_issues_and_later_calls_reuse(ca_hierarchy) -> None:
    now = timezone.now()
    first = current_profile_signer(now)
    again = current_profile_signer(now + timedelta(days=100))
    assert again.certificate == first.certificate
    assert ProfileSigner.objects.count() == 1 and _issued_events() == 1
    row = ProfileSigner.objects.get()
    assert row.issuer == ca_hierarchy.intermediate
    assert row.not_after == first.certificate.not_valid_after_utc
    assert abs(row.not_after - now - timedelta(days=365)) < timedelta(seconds=1)


@pytest.mark.django_db
def test_the_key_lives_encrypted_in_the_ca_key_store(ca_hierarchy) -> None:
    identity = current_profile_signer()
    row = ProfileSigner.objects.get()
    path = services.current().key_dir / row.key_ref.removeprefix("file:")
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert key_store().get(row.key_ref).public_key() == identity.certificate.public_key()


@pytest.mark.django_db
def test_near_expiry_a_new_one_replaces_it_and_the_old_key_is_destroyed(ca_hierarchy) -> None:
    now = timezone.now()
    old = current_profile_signer(now)
    old_row = ProfileSigner.objects.get()
    near_end = old_row.not_after - RENEW_BEFORE + timedelta(hours=1)
    new = current_profile_signer(near_end)
    assert new.certificate != old.certificate
    new_row = ProfileSigner.objects.latest_for(ca_hierarchy.intermediate)
    assert new_row is not None and new_row.replaces == old_row
    old_row.refresh_from_db()
    assert old_row.key_ref == ""
    assert _issued_events() == 2
    assert current_profile_signer(near_end + timedelta(days=1)).certificate == new.certificate


@pytest.mark.django_db
def test_it_chains_to_the_root_and_signs_a_profile_openssl_accepts(
    ca_hierarchy, tmp_path: Path
) -> None:
    identity = current_profile_signer()
    root = services.certificate_of(ca_hierarchy.root)
    intermediate = services.certificate_of(ca_hierarchy.intermediate)
    assert identity.chain == (intermediate,)
    identity.certificate.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)
    signed = mobileconfig.build(sample_inputs(signer=identity)).data
    (tmp_path / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "wifi.mobileconfig").write_bytes(signed)
    result = subprocess.run(
        [require_tool("openssl"), "cms", "-verify", "-inform", "DER", "-in", "wifi.mobileconfig",
         "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null"],
        cwd=tmp_path, capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()


@pytest.mark.django_db
def test_a_new_issuing_ca_gets_its_own_signer(ca_hierarchy) -> None:
    first = current_profile_signer()
    g2 = services.create_intermediate("Issuing CA G2")
    services.activate(g2.name)
    second = current_profile_signer()
    assert second.certificate.issuer == services.certificate_of(g2).subject
    assert second.certificate != first.certificate
    assert ProfileSigner.objects.filter(issuer=g2).count() == 1


@pytest.mark.django_db
def test_a_signer_never_outlives_its_issuer_and_is_not_reissued_for_nothing(
    ca_hierarchy,
) -> None:
    short = services.create_intermediate("Short CA", validity=timedelta(days=100))
    services.activate(short.name)
    now = timezone.now()
    identity = current_profile_signer(now)
    assert identity.certificate.not_valid_after_utc == short.not_after
    # Fewer than RENEW_BEFORE days left, but a renewal could not last longer: reuse it.
    later = current_profile_signer(short.not_after - timedelta(days=5))
    assert later.certificate == identity.certificate
    assert ProfileSigner.objects.count() == 1


@pytest.mark.django_db
def test_without_an_issuing_ca_it_says_so(db) -> None:
    with pytest.raises(services.AuthorityError, match="no issuing CA"):
        current_profile_signer()


@pytest.mark.django_db
def test_two_renewals_of_the_same_signer_cannot_both_be_stored(ca_hierarchy) -> None:
    current_profile_signer()
    row = ProfileSigner.objects.get()
    duplicate = dict(
        issuer=row.issuer,
        certificate_pem=row.certificate_pem,
        serial="1",
        not_before=row.not_before,
        not_after=row.not_after,
    )
    ProfileSigner.objects.create(replaces=row, fingerprint_sha256="a" * 64, **duplicate)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProfileSigner.objects.create(replaces=row, fingerprint_sha256="b" * 64, **duplicate)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProfileSigner.objects.create(replaces=None, fingerprint_sha256="c" * 64, **duplicate)


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_issue_one_signer(ca_hierarchy) -> None:
    barrier = threading.Barrier(4)
    results = []
    errors: list[BaseException] = []

    def ask() -> None:
        barrier.wait()
        try:
            results.append(current_profile_signer().certificate)
        except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert ProfileSigner.objects.count() == 1 and _issued_events() == 1
