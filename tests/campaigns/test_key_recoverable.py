"""S/MIME holders are told that their old key stays recoverable, instead of "keep the file"."""

from __future__ import annotations

import pytest
from django.utils import translation

from jitsuin.campaigns import mailing, services
from jitsuin.campaigns.banner import banner_for
from jitsuin.campaigns.models import CampaignTask
from jitsuin.lifecycle.models import Certificate, KeyArchive
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(campaign, published):
    persons = f.people(4)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    # Only the rows matter here: the campaign asks whether an archive exists, never opens it.
    KeyArchive.objects.create(
        certificate=Certificate.objects.get(person=persons[0]),
        encrypted_key=b"JKA1 sealed to the recovery key",
        recovery_key_id="ab" * 32,
        created_at=f.OLD_CERTS_ISSUED,
    )
    return services.start(campaign, actor="user:op", now=f.CUTOFF), persons


def test_the_invitation_says_the_archived_key_stays_recoverable(started):
    campaign, persons = started
    task = CampaignTask.objects.get(campaign=campaign, kind="invite")
    mailing.send_chunk(task.pk, 0, now=f.CUTOFF)
    smime = OutboxMessage.objects.get(event="campaign_invite", person=persons[0])
    plain = OutboxMessage.objects.get(event="campaign_invite", person=persons[1])
    marker = {"ja": "鍵保管庫", "en": "key archive"}
    assert marker[smime.language] in smime.body
    assert marker[plain.language] not in plain.body


def test_the_portal_banner_says_so_too(started):
    _campaign, persons = started
    with translation.override("en"):
        assert banner_for(persons[0], now=f.DURING_CAMPAIGN).key_recoverable
        assert not banner_for(persons[1], now=f.DURING_CAMPAIGN).key_recoverable


def test_the_preview_of_a_member_with_an_archived_key_says_so(started):
    campaign, persons = started
    preview = mailing.render_campaign_mail(campaign, persons[0])
    assert ("鍵保管庫" if preview.language == "ja" else "key archive") in preview.body
