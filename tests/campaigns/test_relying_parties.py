"""Campaigns and the relying parties' agents: the pre-flight before the deadline says which
reporting hosts keep up (a behind one fails it), the check after the deadline and the
campaign page say which have loaded the root CRL that revokes the old intermediate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from jitsuin.authorities.models import PublishedCrl
from jitsuin.authorities.publishing.crl import publish_due
from jitsuin.campaigns import preflight, services
from tests.authorities.publishing.test_relying_parties import newest, report, reported
from tests.campaigns import factories as f
from tests.campaigns.test_deadline import complete
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db


def check(checks, name):
    [found] = [c for c in checks if c.name == name]
    return found


def test_without_reporting_agents_the_check_says_it_was_skipped(campaign, published):
    checks = preflight.run_checks(campaign, now=f.CUTOFF)
    found = check(checks, "relying_parties_current")
    assert found.skipped and found.passed and found.code == "no_relying_parties"


def test_current_agents_pass_and_a_silent_one_fails_the_start(campaign, published):
    report("radius1", now=f.CUTOFF - timedelta(minutes=5))
    found = check(preflight.run_checks(campaign, now=f.CUTOFF), "relying_parties_current")
    assert found.passed and found.params == {"names": "radius1"}
    report("vpn1", now=f.CUTOFF - timedelta(hours=2))
    with pytest.raises(services.PreflightFailed) as refused:
        services.start(campaign, actor="user:op", now=f.CUTOFF)
    found = check(refused.value.checks, "relying_parties_current")
    assert not found.passed and found.params == {"names": "vpn1"}
    with translation.override("en"):
        assert "vpn1" in found.reason and "miss the revocation" in found.reason


def test_after_the_deadline_each_host_is_checked_for_the_crl_revoking_the_old_ca(
    campaign, published, scene, django_capture_on_commit_callbacks
):
    f.holders(f.people(2), published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    report("radius1", now=f.CUTOFF - timedelta(minutes=5))
    services.start(campaign, actor="user:op", now=f.CUTOFF)
    old_root_crl = reported(PublishedCrl.objects.latest_for(scene.root))
    complete(campaign, capture=django_capture_on_commit_callbacks)
    publish_due(f.AFTER_DEADLINE + timedelta(minutes=1))
    listing = PublishedCrl.objects.latest_for(scene.root)
    at = f.AFTER_DEADLINE + timedelta(minutes=3)
    report("radius1", now=at)  # loaded the newest
    stale = tuple(c for c in newest() if c.issuer != old_root_crl.issuer) + (old_root_crl,)
    report("vpn1", crls=stale, now=at)
    found = check(preflight.run_checks(campaign, now=at), "relying_parties_loaded")
    assert not found.passed and found.code == "revocation_not_loaded"
    assert found.params["names"] == "vpn1" and found.params["number"] == listing.number
    with translation.override("en"):
        assert f"Not yet loaded CRL {listing.number} of {scene.root.name}" in found.reason

    client = sign_in(staff("ca-rp", "ca-admin"))
    client.cookies["jitsuin_lang"] = "en"
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    table = page[page.index('data-testid="deadline-relying-parties"') :]
    assert f"Yes (CRL {listing.number} or newer)" in table
    assert f"No: it still accepts the old intermediate (needs CRL {listing.number})" in table
    assert "relying-party sync" in page  # the reload commands name the agent

    report("vpn1", now=at + timedelta(minutes=2))
    found = check(preflight.run_checks(campaign, now=at), "relying_parties_loaded")
    assert found.passed and found.params["names"] == "radius1, vpn1"
