"""The campaign text is the whole e-mail: placeholders, defaults, the check at save time, the
preview equal to what is sent, the stored bodies of older campaigns, and the links' URL."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from jitsuin.campaigns import mailing, mailtext, services
from jitsuin.campaigns.models import Campaign, Member
from jitsuin.config import current
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.public_url import mismatch, record_server_url
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db

BODY_JA = (
    "{{ name }} 様\n情報基盤センターです。\n"
    "期限: {{ deadline }}\nシリアル: {{serial}}\n{{ link }}\n"
)
BODY_EN = "Dear {{ name }},\nDeadline: {{ deadline }}\nSerial: {{ serial }}\n{{ link }}\n"


def _create(scene, name="g2", **texts):
    return services.create_campaign(
        name,
        old=[scene.old.name],
        new=scene.new.name,
        cutoff=f.CUTOFF,
        deadline=f.DEADLINE,
        actor="user:ca",
        texts=texts,
        now=f.CUTOFF - f.timedelta(days=7),
    )


@pytest.fixture
def members(published):
    persons = f.people(5)  # s000000 prefers English (every fifth)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    return persons


def _started(scene, **texts):
    campaign = _create(scene, **texts)
    services.start(campaign, actor="user:ca", now=f.CUTOFF)
    mailing.send_invitations(campaign, now=f.CUTOFF)
    return campaign


def test_placeholders_are_filled_per_language_with_the_weekday_and_own_serial(
    scene, members, monkeypatch
):
    monkeypatch.setenv("JITSUIN_INSTITUTION_NAME", "情報基盤センター")
    current.cache_clear()
    record_server_url("https://cert.example.ac.jp")
    campaign = _started(
        scene,
        subject_ja="{{ deadline }}まで",
        subject_en="By {{ deadline }}",
        body_ja=BODY_JA,
        body_en=BODY_EN,
    )
    ja_person, en_person = members[1], members[0]
    ja = OutboxMessage.objects.get(event="campaign_invite", person=ja_person)
    en = OutboxMessage.objects.get(event="campaign_invite", person=en_person)
    # 2026-07-01 00:00 UTC is Wednesday 09:00 in Japan.
    assert ja.subject == "[情報基盤センター] 2026年7月1日（水）09:00まで"
    assert en.subject == "[情報基盤センター] By Wednesday 1 July 2026, 09:00 (Japan time)"
    serial = Member.objects.get(campaign=campaign, person=ja_person).old_certificate
    assert ja.body.startswith(
        "利用者 1 様\n情報基盤センターです。\n期限: 2026年7月1日（水）09:00\n"
    )
    assert f"シリアル: {serial.serial_number.hex_pairs}\n" in ja.body
    assert "https://cert.example.ac.jp/\n" in ja.body and "{{" not in ja.body
    assert en.body.startswith("Dear User 0,\nDeadline: Wednesday 1 July 2026, 09:00 (Japan time)")
    assert ja.body.rstrip().endswith("情報基盤センター 証明書サービス（このメールは自動送信です）")


def test_a_campaign_without_its_own_text_sends_the_default_with_every_placeholder(scene, members):
    _started(scene)
    for message in OutboxMessage.objects.filter(event="campaign_invite"):
        assert "{{" not in message.body and "{{" not in message.subject
        assert message.person.display_name(message.language) in message.body
        assert current().helpdesk_email in message.body and scene.old.name in message.body
    ja = OutboxMessage.objects.filter(event="campaign_invite", language="ja").first()
    assert "2026年7月1日（水）09:00" in ja.subject and "シリアル番号 " in ja.body


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("{{ nmae }} 様", "{{ nmae }}"),
        ("{{ name|upper }}", "{{ name|upper }}"),
        ("{{ campaign.deadline }}", "{{ campaign.deadline }}"),
        ("{% load static %}", "load static"),
        ("{% include 'x.html' %}", "include"),
    ],
)
def test_anything_but_the_known_placeholders_is_refused_when_saved(scene, text, named):
    with pytest.raises(mailtext.BadTemplate) as refused:
        _create(scene, body_ja=text)
    assert named in str(refused.value.message)
    assert "{{ name }}" in str(refused.value.message)  # says what is allowed
    assert not Campaign.objects.exists()


def test_a_text_over_the_size_cap_is_refused(scene):
    with pytest.raises(mailtext.BadTemplate):
        _create(scene, body_en="x" * (mailtext.MAX_BODY + 1))


def test_the_preview_is_the_mail_that_is_sent(scene, members):
    campaign = _started(scene, body_ja=BODY_JA)
    for person in members[:2]:
        preview = mailing.render_campaign_mail(campaign, person, mailing.INVITE)
        sent = OutboxMessage.objects.get(event="campaign_invite", person=person)
        assert (preview.language, preview.subject, preview.body) == (
            sent.language,
            sent.subject,
            sent.body,
        )
    samples = mailing.preview_invitation(campaign)
    assert [p.language for p in samples] == ["ja", "en"]
    assert mailtext.SAMPLE_SERIAL in samples[0].body and "見本 花子" in samples[0].body


def test_bodies_stored_before_are_wrapped_in_the_old_fixed_text(scene):
    campaign = _create(scene, subject_ja="お願い")
    Campaign.objects.filter(pk=campaign.pk).update(body_ja="情報基盤センターです。{{ 括弧 }}")
    migration = importlib.import_module("jitsuin.campaigns.migrations.0006_whole_mail_bodies")
    migration.wrap_bodies(apps, None)
    campaign.refresh_from_db()
    assert campaign.body_en == ""  # empty stays empty: the default is sent
    mailtext.check_template(campaign.body_ja)
    assert campaign.body_ja.startswith("{{ name }} 様\n")
    assert "情報基盤センターです。{ { 括弧 }}" in campaign.body_ja


def test_links_use_the_servers_url_even_when_this_process_has_another(scene, members, monkeypatch):
    monkeypatch.setenv("JITSUIN_PUBLIC_URL", "https://portal.example.ac.jp")
    current.cache_clear()
    assert record_server_url() is True
    assert mismatch() is None
    monkeypatch.setenv("JITSUIN_PUBLIC_URL", "http://127.0.0.1:8000")  # the CLI's own env
    current.cache_clear()
    assert "https://portal.example.ac.jp" in (mismatch() or "")
    _started(scene)
    bodies = list(
        OutboxMessage.objects.filter(event="campaign_invite").values_list("body", "message_id")
    )
    assert bodies and all("https://portal.example.ac.jp/" in body for body, _ in bodies)
    assert not any("127.0.0.1" in body for body, _ in bodies)
    assert all(mid.endswith("@portal.example.ac.jp>") for _, mid in bodies)
