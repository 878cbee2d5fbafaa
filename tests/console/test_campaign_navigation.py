"""Campaigns are part of the console: the navigation entry for the roles that may follow a
campaign, the console layout on every campaign page, and the dashboard card of a running
campaign (state, countdown, % migrated, who issues now, "awaiting your confirmation")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from jitsuin.campaigns import services
from jitsuin.console.campaigns.cards import countdown
from jitsuin.console.roles import (
    OPEN,
    ROLE_PERMISSIONS,
    VIEW_CAMPAIGNS,
    VIEW_PEOPLE,
    ensure_roles,
)
from tests.campaigns import factories as f
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db

NAV_ENTRY = 'data-testid="nav-campaigns"'
CONSOLE_LAYOUT = '<ul class="console-nav">'


def _page(client: Client, url: str, language: str = "ja") -> str:
    client.cookies["jitsuin_lang"] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def running(db):
    """A started campaign: four holders of the old intermediate, one of whom has moved."""
    scene = f.scene()
    campaign = f.campaign_starting_now(scene, 4, name="g1-to-g2", real=1)
    campaign = services.start(campaign, actor="staff:ca1", require_preflight=False)
    moved = campaign.members.order_by("person__uid").first().person
    f.real_certificate(moved, scene.new, scene.profiles["overlap"], at=timezone.now())
    return campaign


# The navigation entry


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_the_campaigns_entry_follows_the_view_campaigns_permission(role):
    client = sign_in(staff(f"{role}-1", role))
    page = _page(client, reverse("console:dashboard"))
    shown = NAV_ENTRY in page
    assert shown == (VIEW_CAMPAIGNS in ROLE_PERMISSIONS[role])
    if shown:
        assert f'href="{reverse("campaigns:list")}"' in page
        assert "キャンペーン" in page
        assert "Campaigns" in _page(client, reverse("console:dashboard"), "en")


def test_every_staff_role_sees_campaigns_today():
    # The parametrized test above follows the table; this pins what the table says today.
    assert all(VIEW_CAMPAIGNS in codenames for codenames in ROLE_PERMISSIONS.values())


def test_staff_without_view_campaigns_get_no_entry():
    ensure_roles()
    group = Group.objects.create(name="reader")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="console", codename__in=[OPEN, VIEW_PEOPLE]
        )
    )
    user = User.objects.create_user("reader1")
    user.groups.add(group)
    client = sign_in(user)
    page = _page(client, reverse("console:dashboard"))
    assert CONSOLE_LAYOUT in page
    assert NAV_ENTRY not in page
    assert reverse("campaigns:list") not in page
    assert client.get(reverse("campaigns:list")).status_code == 403


# The console layout


def test_every_campaign_page_renders_inside_the_console_layout(ca_admin):
    scene = f.scene()
    draft = f.campaign_starting_now(scene, 2, name="draft", real=1)
    for url in (
        reverse("campaigns:list"),
        reverse("campaigns:create"),
        reverse("campaigns:detail", args=[draft.pk]),
        reverse("campaigns:start", args=[draft.pk]),
    ):
        page = _page(ca_admin, url)
        assert CONSOLE_LAYOUT in page, url
        assert "console/console.css" in page, url
        assert NAV_ENTRY in page, url
        # Not the portal's navigation.
        assert f'href="{reverse("portal:check")}"' not in page, url
        assert f'href="{reverse("portal:help")}"' not in page, url
    assert "campaigns/campaigns.css" in _page(ca_admin, reverse("campaigns:list"))


# The dashboard card


def test_the_card_shows_state_countdown_progress_and_issuing_ca_in_japanese(operator, running):
    page = _page(operator, reverse("console:dashboard"))
    assert 'data-testid="campaign-card"' in page
    assert reverse("campaigns:detail", args=[running.pk]) in page
    assert '<dd data-testid="campaign-state">実施中</dd>' in page
    assert 'data-testid="campaign-countdown">あと59日23時間</span>' in page
    assert '<span data-testid="campaign-percent">25 %</span>' in page
    assert "(1 / 4)" in page
    assert '<dd data-testid="campaign-issuing">Example Univ Client CA G2</dd>' in page
    assert "現在の発行CA" in page
    assert "あなたの承認待ち" not in page


def test_the_card_in_english(operator, running):
    page = _page(operator, reverse("console:dashboard"), "en")
    assert '<dd data-testid="campaign-state">Started</dd>' in page
    assert 'data-testid="campaign-countdown">59 days 23 hours left</span>' in page
    assert '<span data-testid="campaign-percent">25 %</span>' in page
    assert '<dd data-testid="campaign-issuing">Example Univ Client CA G2</dd>' in page
    assert "Issuing CA now" in page
    assert "Awaiting your confirmation" not in page


@pytest.mark.parametrize(
    ("role", "asked"), [("ca-admin", True), ("operator", False), ("helpdesk", False)]
)
def test_awaiting_your_confirmation_only_for_a_viewer_who_may_confirm(role, asked, running):
    services.prepare_summary(running, actor="system")
    client = sign_in(staff(f"{role}-2", role))
    ja = _page(client, reverse("console:dashboard"))
    en = _page(client, reverse("console:dashboard"), "en")
    assert '<dd data-testid="campaign-state">失効の承認待ち</dd>' in ja
    assert '<dd data-testid="campaign-state">Awaiting confirmation of the revocation</dd>' in en
    assert ("あなたの承認待ち" in ja) is asked
    assert ("Awaiting your confirmation" in en) is asked


def test_no_card_without_a_running_campaign(ca_admin):
    scene = f.scene()
    f.campaign_starting_now(scene, 2, name="draft", real=1)
    page = _page(ca_admin, reverse("console:dashboard"))
    assert 'data-testid="campaign-card"' not in page


def test_the_card_costs_a_fixed_number_of_queries(ca_admin):
    def dashboard_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert ca_admin.get(reverse("console:dashboard")).status_code == 200
        return len(captured)

    scene = f.scene()
    before = dashboard_queries()
    small = f.campaign_starting_now(scene, 3, name="small", real=1)
    services.start(small, actor="staff:ca1", require_preflight=False)
    with_card = dashboard_queries()
    # The running campaigns, one progress aggregate per campaign, the issuing CA.
    assert with_card - before <= 3


# The countdown, in each language


NOW = datetime(2026, 5, 11, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "ja", "en"),
    [
        (timedelta(days=12, hours=3, minutes=5), "あと12日3時間", "12 days 3 hours left"),
        (timedelta(days=1, minutes=30), "あと1日", "1 day left"),
        (timedelta(days=1, hours=1), "あと1日1時間", "1 day 1 hour left"),
        (timedelta(hours=5, minutes=59), "あと5時間", "5 hours left"),
        (timedelta(minutes=20), "あと1時間未満", "Less than an hour left"),
        (timedelta(0), "期限を過ぎています", "The deadline has passed"),
        (-timedelta(days=2), "期限を過ぎています", "The deadline has passed"),
    ],
)
def test_countdown_in_the_viewers_language(left, ja, en):
    with translation.override("ja"):
        assert countdown(NOW + left, now=NOW) == ja
    with translation.override("en"):
        assert countdown(NOW + left, now=NOW) == en
