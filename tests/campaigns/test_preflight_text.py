"""Pre-flight checks are stored as codes with parameters and read in each viewer's language;
a relying-party check that cannot run says "skipped"; counts of days take the right plural."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from jitsuin.campaigns import preflight, queries, services
from jitsuin.campaigns.models import Campaign, CampaignTask
from tests.campaigns import factories as f
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db


def _page(client, url, language):
    client.cookies["jitsuin_lang"] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_stored_checks_hold_codes_not_sentences(campaign, published):
    with translation.override("ja"):
        services.run_preflight(campaign, actor="user:op", now=f.CUTOFF)
    campaign.refresh_from_db()
    stored = {c["name"]: c for c in campaign.preflight}
    usable = stored["new_intermediate_usable"]
    assert usable["code"] == "can_issue" and usable["params"] == {"ca": published.new.name}
    assert "reason" not in usable  # no sentence in the runner's language is kept


def test_each_reader_sees_the_reason_in_their_own_language(campaign, published):
    with translation.override("ja"):
        services.run_preflight(campaign, actor="user:op", now=f.CUTOFF)
    campaign.refresh_from_db()
    check = preflight.Check.from_dict(campaign.preflight[0])
    with translation.override("en"):
        english = (check.label, check.reason)
    with translation.override("ja"):
        japanese = (check.label, check.reason)
    assert english == ("The new intermediate can issue", f"{published.new.name} can issue.")
    assert japanese[0] != english[0] and japanese[1] != english[1]
    assert published.new.name in japanese[1]


def test_console_pages_show_labels_not_identifiers_in_both_languages(campaign, published):
    with translation.override("ja"):
        services.run_preflight(campaign, actor="user:op", now=f.CUTOFF)
    client = sign_in(staff("ca-text", "ca-admin"))
    url = reverse("campaigns:detail", args=[campaign.pk])
    english = _page(client, url, "en")
    assert "The new intermediate can issue" in english and "new_intermediate_usable" not in english
    assert f"{published.new.name} can issue." in english
    japanese = _page(client, url, "ja")
    assert "new_intermediate_usable" not in japanese and "can issue" not in japanese


def test_an_entry_stored_before_codes_still_shows_its_sentence(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(
        preflight=[{"name": "crls_fresh", "passed": False, "reason": "G2 の CRL がありません。"}]
    )
    check = preflight.Check.from_dict(Campaign.objects.get(pk=campaign.pk).preflight[0])
    assert check.reason == "G2 の CRL がありません。" and not check.passed
    client = sign_in(staff("ca-old", "ca-admin"))
    page = _page(client, reverse("campaigns:detail", args=[campaign.pk]), "en")
    assert "G2 の CRL がありません。" in page and "Every CRL in the chain is current" in page


def test_without_a_radius_server_the_canary_is_shown_as_skipped(campaign, published):
    checks = services.run_preflight(campaign, actor="user:op", now=f.CUTOFF)
    radius = [c for c in checks if c.name.startswith("radius")]
    assert [(c.name, c.skipped, c.passed) for c in radius] == [("radius_canary", True, True)]
    assert preflight.all_passed(checks)  # a skipped check does not block the start
    with translation.override("en"):
        assert "Skipped: no RADIUS server is configured" in radius[0].reason
    client = sign_in(staff("ca-skip", "ca-admin"))
    page = _page(client, reverse("campaigns:detail", args=[campaign.pk]), "ja")
    assert "スキップ" in page


def test_a_failing_check_keeps_its_parameters_and_plural(campaign, published):
    published.profiles["overlap"].validity_days = 20 * 365
    published.profiles["overlap"].save()
    checks = services.run_preflight(campaign, actor="user:op", now=f.CUTOFF)
    check = next(c for c in checks if c.name == "life_covers_profiles")
    assert not check.passed and check.code == "life_short"
    with translation.override("en"):
        assert "client-overlap" in check.reason and " days left" in check.reason


def test_one_day_is_singular_in_labels_and_the_timeline(campaign):
    task = CampaignTask(campaign=campaign, kind="reminder-1", actor="x", created_at=f.CUTOFF)
    with translation.override("en"):
        assert task.label == "Reminders (1 day before the deadline)"
        assert "(1 day before the deadline)" in " ".join(
            str(e.what) for e in queries.timeline(campaign)
        )
    task.kind = "reminder-7"
    with translation.override("en"):
        assert task.label == "Reminders (7 days before the deadline)"


def test_a_stale_crl_problem_names_the_time_with_its_offset(campaign, published):
    checks = services.run_preflight(campaign, actor="user:op", now=f.CUTOFF + timedelta(days=30))
    check = next(c for c in checks if c.name == "crls_fresh")
    assert not check.passed and check.code == "problems"
    with translation.override("en"):
        assert "is stale since" in check.reason and "+0900" in check.reason


def test_the_reminder_names_the_deadline_and_never_says_1_days():
    """The reminder is the campaign's own text now (campaigns/mailtext.py): it names the
    deadline with its weekday instead of counting days, so no '1 days' can slip in."""
    from jitsuin.campaigns import mailing, mailtext

    campaign = f.campaign_starting_now(f.scene(), 1, name="one-day")
    ja, en = mailing.preview_invitation(campaign, "reminder")
    assert mailtext.format_deadline(campaign.deadline, "en") in en.subject
    assert mailtext.format_deadline(campaign.deadline, "ja") in ja.subject
    for mail in (ja, en):
        assert "1 days" not in mail.subject + mail.body and "{{" not in mail.subject + mail.body


def test_a_canary_that_could_not_run_says_why_in_the_readers_language():
    from jitsuin.campaigns.radius import LoginResult

    check = preflight.Check(
        "radius_new_canary",
        False,
        "new_refused",
        {"ca": "G2", **LoginResult(False, "", problem="not_installed").as_params()},
    )
    with translation.override("en"):
        assert (
            check.reason == "A canary from G2 was refused by RADIUS: eapol_test is not installed."
        )
    with translation.override("ja"):
        assert "eapol_test がインストールされていません" in check.reason
    exited = {"ca": "G2", **LoginResult(False, "", problem="exited", exit_code=3).as_params()}
    with translation.override("en"):
        assert "eapol_test exited 3" in preflight.Check("x", False, "new_refused", exited).reason
