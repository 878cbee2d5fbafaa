"""The kept stuck queue (jitsuin.console.stuck_kept) reads exactly like a fresh render after
every change the page shows, says when it was brought up to date on every serve, and one
operator never gets another's page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.urls import reverse

from jitsuin.audit.services import record
from jitsuin.console import stuck
from jitsuin.console.models import StuckClaim
from jitsuin.lifecycle.models import MaintenanceWindow, Request
from tests.notify import factories
from tests.portal.kept_pages import Clock, Pages, _masked
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db

OLD = timedelta(days=20)
STUCK = reverse("console:stuck")
# session, user, second factor, permissions, the queue's entries, the fingerprint
KEPT_QUERIES = 6


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    cache.clear()
    clock = Clock(monkeypatch)
    # At the start of a minute: a kept page's clock-derived text (a snooze form's default
    # minute) may be up to 60 s old by design, so a test that advances a few seconds and then
    # compares with a fresh render must not cross a minute (it did ~1 run in 12).
    clock.now = clock.now.replace(second=0)
    return clock


def _english(client):  # type: ignore[no-untyped-def]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_every_change_the_stuck_queue_shows_is_served_at_once(helpdesk, clock, monkeypatch):
    pages = Pages(_english(helpdesk), monkeypatch, home=STUCK, hit_queries=KEPT_QUERIES)
    pages.check("an empty queue")

    person = factories.person(affiliation="工学部")
    item = factories.request(person, at=clock.now - OLD, state="failed", last_error="said no")
    pages.check("a request got stuck")

    stuck.claim(item, actor="staff:hd2", now=clock.now)
    pages.check("a colleague claimed it")

    stuck.claim(item, actor="staff:hd1", take_over=True, now=clock.now)
    pages.check("taken over by me: the release form")

    record("request.issue.repolled", actor="staff:hd1", obj=item)
    pages.check("an audited action: the last action column")

    person.affiliation = "理学部"
    person.save()
    pages.check("the person's affiliation changed")

    Request.objects.filter(pk=item.pk).update(last_error="the upstream said no again")
    assert b"said no again" in pages.check("the request's last error changed")

    second = factories.request(factories.person(), at=clock.now - OLD - timedelta(hours=1))
    pages.check("another request got stuck: older, first")

    stuck.snooze(second, actor="staff:hd1", until=clock.now + timedelta(hours=2), note="n")
    pages.check("snoozed: it leaves the list, the count says so")
    pages.also = [f"{STUCK}?snoozed=1"]
    pages.check("the snoozed ones shown", changed=False)
    pages.also = []

    # A maintenance window is announced 7 days before it starts: from that moment on, even
    # though no row changed.
    MaintenanceWindow.objects.create(
        starts_at=clock.now + timedelta(days=7, seconds=30),
        ends_at=clock.now + timedelta(days=8),
        note_en="Planned maintenance",
    )
    pages.check("maintenance scheduled, not announced yet", changed=False)
    clock.advance(31)
    assert b"Planned maintenance" in pages.check("its announcement came")

    Request.objects.filter(pk=second.pk).update(state="cancelled", state_changed_at=clock.now)
    pages.check("the snoozed request was cancelled")

    # A claim written without an audit event (the claim's own row is in the fingerprint).
    StuckClaim.objects.filter(request=item).update(holder="staff:hd3")
    assert b"hd3" in pages.check("the claim's holder changed")

    pages.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    japanese = pages.check("language switched")
    assert b'lang="ja"' in japanese

    clock.advance(61)
    pages.check("a minute later")  # the "updated at" time moved on
    assert pages.hits >= 12


def test_the_updated_at_time_is_this_serve_s_even_when_kept(helpdesk, clock, monkeypatch):
    factories.request(factories.person(), at=clock.now - OLD)
    pages = Pages(_english(helpdesk), monkeypatch, home=STUCK, hit_queries=KEPT_QUERIES)
    first = pages.served()
    clock.advance(5)
    again = pages.served()
    assert pages.hits == 1
    times = re.compile(rb'<time datetime="[^"]+">[^<]*</time>')
    assert times.findall(first) != times.findall(again)
    assert _masked(times.sub(b"", first)) == _masked(times.sub(b"", again))
    assert _masked(again) == _masked(pages.fresh())


def test_permissions_decide_the_forms_of_a_kept_page(helpdesk, clock, monkeypatch):
    item = factories.request(factories.person(), at=clock.now - OLD)
    pages = Pages(_english(helpdesk), monkeypatch, home=STUCK, hit_queries=KEPT_QUERIES)
    assert f'data-testid="claim-{item.pk}"'.encode() in pages.check("with the claim form")
    user = User.objects.get(username="hd1")
    user.groups.set([Group.objects.get(name="operator")])
    page = pages.check("moved to the operators: no forms")
    assert f'data-testid="claim-{item.pk}"'.encode() not in page


def test_two_operators_never_get_each_other_s_page(clock):
    item = factories.request(factories.person(), at=clock.now - OLD)
    stuck.claim(item, actor="staff:hd1", now=clock.now)
    mine = sign_in(staff("hd1", "helpdesk"))
    theirs = sign_in(staff("hd2", "helpdesk"))
    for _ in range(2):
        # The holder is offered the release; a colleague the take-over.
        assert f'data-testid="release-{item.pk}"'.encode() in mine.get(STUCK).content
        page = theirs.get(STUCK).content
        assert f'data-testid="take-over-{item.pk}"'.encode() in page
        assert f'data-testid="claim-{item.pk}"'.encode() not in page


def test_the_live_refresh_and_the_page_are_kept_apart(helpdesk, clock):
    factories.request(factories.person(), at=clock.now - OLD)
    for _ in range(2):
        live = helpdesk.get(STUCK, HTTP_HX_REQUEST="true").content
        page = helpdesk.get(STUCK).content
        assert live.startswith(b'<div id="stuck-live"') and b"<html" not in live
        assert b"<html" in page
