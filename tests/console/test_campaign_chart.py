"""The campaign chart has a y axis in percent, dates under the bars and tooltips in the
viewer's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from jitsuin.campaigns import services
from jitsuin.campaigns.models import Snapshot
from jitsuin.console.campaigns.views import DATE_LABELS, _chart
from tests.campaigns import factories as f
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(db):
    scene = f.scene()
    campaign = f.campaign_starting_now(scene, 4, name="g1-to-g2", real=1)
    campaign = services.start(campaign, actor="staff:ca1", require_preflight=False)
    start = timezone.now() - timedelta(days=20)
    for day in range(20):
        Snapshot.objects.create(
            campaign=campaign,
            at=start + timedelta(days=day),
            total=4,
            migrated=min(day // 5, 4),
            in_progress=0,
            stuck=0,
            not_started=4 - min(day // 5, 4),
        )
    return campaign


def test_a_few_bars_carry_dates_and_the_last_always_does(running):
    bars = _chart(running, None)
    dated = [b for b in bars if b["show_date"]]
    assert bars[-1]["show_date"] and 2 <= len(dated) <= DATE_LABELS + 1
    assert all(abs(sum(p["height"] for p in b["parts"]) - 100) < 1e-6 for b in bars)


def test_the_page_shows_axis_dates_and_translated_tooltips(running):
    client = sign_in(staff("op-chart", "operator"))
    url = reverse("campaigns:detail", args=[running.pk])
    client.cookies["jitsuin_lang"] = "ja"
    page = client.get(url).content.decode()
    assert 'class="chart-y"' in page and ">100%<" in page and ">0%<" in page
    first = timezone.localtime(Snapshot.objects.order_by("at").first().at)
    assert f">{first.month}/{first.day}</tspan>" in page
    assert 'style="' not in page  # the CSP (style-src 'self') would drop it: axes placed by SVG
    with translation.override("ja"):
        assert "未着手: " in page and "not_started:" not in page
    client.cookies["jitsuin_lang"] = "en"
    assert "Not started: " in client.get(url).content.decode()
