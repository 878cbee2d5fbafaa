"""The campaign banner on a kept home page (jitsuin.portal.page_cache): it appears when the
campaign starts, changes when the deadline passes and the old CA is revoked, exactly as a
fresh render shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from jitsuin.campaigns import services
from jitsuin.campaigns.banner import SHOWN_AFTER_REVOCATION
from tests.campaigns import factories as f
from tests.portal.kept_pages import Clock, Pages

pytestmark = pytest.mark.django_db


def test_the_campaign_banner_of_a_kept_page(campaign, published, monkeypatch):
    cache.clear()
    clock = Clock(monkeypatch)
    clock.now = f.CUTOFF - timedelta(hours=1)
    persons = f.people(3)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    person = persons[1]
    person.user = User.objects.create_user(person.uid)
    person.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(person.user)
    pages = Pages(client, monkeypatch)
    before = pages.check("before the campaign")
    assert b"banner-active" not in before

    clock.now = f.CUTOFF
    services.start(campaign, actor="user:op", now=f.CUTOFF)
    started = pages.check("the campaign started")
    assert b"banner-active" in started

    clock.now = f.DURING_CAMPAIGN
    client.force_login(person.user)  # months later: signed in again (a new session)
    pages.check("during the campaign", changed=False)

    services.prepare_summary(campaign, now=f.DEADLINE - timedelta(days=2))
    clock.now = f.AFTER_DEADLINE
    services.confirm(campaign, actor="user:ca", now=f.AFTER_DEADLINE)
    services.confirm(campaign, actor="user:ca2", now=f.AFTER_DEADLINE)
    client.force_login(person.user)
    pages.check("the old CA revoked: the certificate stopped working")

    campaign.refresh_from_db()
    clock.now = campaign.completed_at + SHOWN_AFTER_REVOCATION - timedelta(seconds=5)
    client.force_login(person.user)
    pages.check("shortly before the banner goes", changed=False)
    clock.advance(10)
    gone = pages.check("the banner's time is over")
    assert b"banner-active" not in gone
