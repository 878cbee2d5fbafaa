"""The old intermediate's revocation, as the holder sees it on the portal.

Revoked (its ``revoked_at`` passed): the certificate is shown as not working, and the way to a
new one is open. Scheduled (a campaign's deadline): "valid until 12月3日（木）19:51 — switch
now", in the holder's language. A certificate of another CA stays plainly valid.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.lifecycle.permissions import DisplayStatus, actions_for, certificate_status
from jitsuin.lifecycle.policies import evaluate_issue
from jitsuin.portal.presenters import overview

pytestmark = pytest.mark.django_db


def _revoke_ca(authority_id: int, at) -> None:  # type: ignore[no-untyped-def]
    Authority.objects.filter(pk=authority_id).update(revoked_at=at, revocation_reason="superseded")


def _weekday_time_ja(moment) -> str:  # type: ignore[no-untyped-def]
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日（{'月火水木金土日'[local.weekday()]}）{local:%H:%M}"


def test_a_certificate_under_a_revoked_intermediate_is_not_working(alice, alice_cert, client_for):
    _revoke_ca(alice_cert.issuer_id, timezone.now() - timedelta(minutes=1))
    alice_cert.refresh_from_db()
    assert certificate_status(alice_cert) == DisplayStatus.ISSUER_REVOKED
    card = overview(alice, timezone.now()).current_cards[0]
    assert card.status == "issuer_revoked" and not card.actions.can_revoke
    assert not card.can_download and not card.switch_now
    # The way to a new one: the policy (and so the service) no longer counts it.
    decision = evaluate_issue(alice, card.certificate.profile, timezone.now())
    assert decision.allowed and decision.valid == [] and decision.target is None
    assert actions_for(alice).can_issue

    ja = client_for(alice, language="ja").get(reverse("portal:home")).content.decode()
    assert 'data-status="issuer_revoked"' in ja and "使用不可（発行CAが失効）" in ja
    assert "発行したCAが失効したため" in ja
    assert '<a class="button" id="issue-button"' in ja
    assert 'data-status="valid"' not in ja
    en = client_for(alice).get(reverse("portal:home")).content.decode()
    assert "Not working: its CA was revoked" in en
    detail = client_for(alice).get(reverse("portal:certificate", args=[alice_cert.pk]))
    assert 'data-status="issuer_revoked"' in detail.content.decode()


def test_a_scheduled_revocation_says_valid_until_then_switch_now(alice, alice_cert, client_for):
    at = timezone.now() + timedelta(hours=3)
    _revoke_ca(alice_cert.issuer_id, at)
    card = overview(alice, timezone.now()).current_cards[0]
    assert card.status == "valid" and card.actions.stops_working_at == at

    ja = client_for(alice, language="ja").get(reverse("portal:home")).content.decode()
    assert f"{_weekday_time_ja(at)} まで有効です — 今すぐ新しい証明書に切り替えてください" in ja
    en = client_for(alice).get(reverse("portal:home")).content.decode()
    local = timezone.localtime(at)
    assert f"Valid until {local:%a} {local.day} {local:%b %H:%M} — switch now" in en
    # After the moment it is not working, with nothing else changed.
    later = overview(alice, at + timedelta(seconds=1)).current_cards[0]
    assert later.status == "issuer_revoked"


def test_a_certificate_of_another_ca_stays_plainly_valid(alice, alice_cert, client_for):
    from jitsuin.authorities.services import create_intermediate

    root = alice_cert.issuer.parent
    old = create_intermediate("Old Issuing CA", parent=root)
    _revoke_ca(old.pk, timezone.now() + timedelta(hours=3))
    card = overview(alice, timezone.now()).current_cards[0]
    assert card.status == "valid" and not card.switch_now
    en = client_for(alice).get(reverse("portal:home")).content.decode()
    assert 'data-testid="switch-now"' not in en and "Not working" not in en
    _revoke_ca(old.pk, timezone.now() - timedelta(minutes=1))
    assert overview(alice, timezone.now()).current_cards[0].status == "valid"


def test_the_check_page_says_switch_now_then_not_working(alice_cert, client):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from django.core.files.uploadedfile import SimpleUploadedFile

    pem = x509.load_der_x509_certificate(bytes(alice_cert.der)).public_bytes(
        serialization.Encoding.PEM
    )

    def check(language: str) -> str:
        upload = SimpleUploadedFile("me.pem", pem, content_type="application/octet-stream")
        response = client.post("/check/", {"certificate": upload}, HTTP_ACCEPT_LANGUAGE=language)
        return response.content.decode()

    at = timezone.now() + timedelta(hours=3)
    _revoke_ca(alice_cert.issuer_id, at)
    ja = check("ja")
    assert 'data-status="switch_now"' in ja and "verdict-warn" in ja
    assert f"{_weekday_time_ja(at)} まで有効です — 今すぐ切り替えてください" in ja
    assert "対応は不要" not in ja
    assert "switch now" in check("en")
    _revoke_ca(alice_cert.issuer_id, timezone.now() - timedelta(minutes=1))
    assert 'data-status="issuer_revoked"' in check("en")
