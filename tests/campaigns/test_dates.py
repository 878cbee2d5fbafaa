"""Campaign dates are checked (issue 13): nothing in the past, room for the longest reminder,
reminders and the summary inside the window, a year typo caught — in the service, the console
form and the CLI, in English and Japanese."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from jitsuin.campaigns import services
from jitsuin.campaigns.dates import DateProblem, check_dates, problems
from jitsuin.campaigns.models import Campaign
from jitsuin.console.campaigns.forms import CampaignForm
from tests.campaigns import factories as f

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # 19:00 in Japan
DAY = timedelta(days=1)
LEAD = timedelta(days=3)


def refused(
    *, cutoff=NOW, deadline=NOW + 60 * DAY, reminders=(30, 14, 7, 3, 1), lead=LEAD, lang="en"
):
    with pytest.raises(DateProblem) as caught, translation.override(lang):
        check_dates(
            cutoff=cutoff, deadline=deadline, reminder_days=reminders, summary_lead=lead, now=NOW
        )
    return caught.value


def test_sensible_dates_pass():
    check_dates(
        cutoff=NOW, deadline=NOW + 60 * DAY, reminder_days=[30, 7, 1], summary_lead=LEAD, now=NOW
    )
    # A cut-off a little in the past is how "start today" is written.
    check_dates(
        cutoff=NOW - timedelta(hours=2),
        deadline=NOW + 30 * DAY,
        reminder_days=[30],
        summary_lead=LEAD,
        now=NOW,
    )


def test_a_cutoff_in_the_past_is_refused_with_the_likely_year():
    problem = refused(cutoff=NOW.replace(year=2025), deadline=NOW + 60 * DAY)
    assert problem.field == "cutoff"
    assert "in the past" in str(problem.message)
    assert "Did you mean 2026-12-03 19:00" in str(problem.message)


def test_a_deadline_in_the_past_is_refused():
    problem = refused(cutoff=NOW - 2 * timedelta(hours=1), deadline=NOW - timedelta(minutes=1))
    assert problem.field == "deadline" and "in the past" in str(problem.message)


def test_a_deadline_before_the_cutoff_is_refused():
    problem = refused(cutoff=NOW + 10 * DAY, deadline=NOW + 5 * DAY)
    assert problem.field == "deadline" and "after the cut-off" in str(problem.message)


def test_the_deadline_leaves_room_for_the_longest_reminder():
    """The walk: a deadline 31 minutes after the cut-off with reminders 30/14/7/3/1 days."""
    problem = refused(cutoff=NOW, deadline=NOW + timedelta(minutes=31))
    assert problem.field == "reminders"
    message = str(problem.message)
    assert "30 days before the deadline" in message and "before the cut-off" in message
    assert "2027-01-02 19:00 or later" in message  # the earliest deadline that fits
    # Exactly the longest reminder after the cut-off is enough; one minute less is not.
    check_dates(cutoff=NOW, deadline=NOW + 30 * DAY, reminder_days=[30], summary_lead=LEAD, now=NOW)
    assert refused(cutoff=NOW, deadline=NOW + 30 * DAY - timedelta(minutes=1), reminders=[30])


def test_every_reminder_falls_inside_the_window():
    """Checking the longest is checking all: the others are later and before the deadline."""
    assert refused(cutoff=NOW, deadline=NOW + 10 * DAY, reminders=[14, 7, 1]).field == "reminders"
    check_dates(
        cutoff=NOW, deadline=NOW + 10 * DAY, reminder_days=[7, 1], summary_lead=LEAD, now=NOW
    )


def test_the_final_summary_falls_inside_the_window():
    problem = refused(cutoff=NOW, deadline=NOW + 2 * DAY, reminders=[1])
    assert problem.field == "deadline" and "final summary" in str(problem.message)


def test_a_year_typo_in_the_deadline_is_caught():
    problem = refused(cutoff=NOW + DAY, deadline=datetime(2028, 1, 31, 0, 0, tzinfo=UTC))
    assert problem.field == "deadline"
    message = str(problem.message)
    assert "more than a year after the cut-off" in message
    assert "Did you mean 2027-01-31 09:00" in message


def test_a_year_typo_in_the_cutoff_is_caught():
    problem = refused(
        cutoff=datetime(2027, 12, 10, 0, 0, tzinfo=UTC),
        deadline=datetime(2028, 2, 1, 0, 0, tzinfo=UTC),
    )
    assert problem.field == "cutoff" and "more than a year ahead" in str(problem.message)
    assert "Did you mean 2026-12-10 09:00" in str(problem.message)


def test_every_problem_is_listed_for_the_form():
    found = problems(
        cutoff=NOW - 400 * DAY,
        deadline=NOW - 399 * DAY,
        reminder_days=[30],
        summary_lead=LEAD,
        now=NOW,
    )
    assert [p.field for p in found] == ["cutoff", "deadline"]


def test_the_messages_are_in_japanese_too():
    ja = "ja"
    walk = refused(cutoff=NOW, deadline=NOW + timedelta(minutes=31), lang=ja)
    typo = refused(cutoff=NOW + DAY, deadline=datetime(2028, 1, 31, tzinfo=UTC), lang=ja)
    past = refused(cutoff=NOW.replace(year=2025), lang=ja)
    before = refused(cutoff=NOW + 10 * DAY, deadline=NOW + 5 * DAY, lang=ja)
    summary = refused(cutoff=NOW, deadline=NOW + 2 * DAY, reminders=[1], lang=ja)
    ahead = refused(
        cutoff=datetime(2027, 12, 10, tzinfo=UTC),
        deadline=datetime(2028, 2, 1, tzinfo=UTC),
        lang=ja,
    )
    gone = refused(cutoff=NOW - timedelta(hours=2), deadline=NOW - timedelta(minutes=1), lang=ja)
    assert "リマインダー" in str(walk.message) and "30日前" in str(walk.message)
    assert "年の誤り" in str(typo.message) and "2027-01-31 09:00" in str(typo.message)
    assert "過去" in str(past.message) and "2026-12-03 19:00" in str(past.message)
    assert "カットオフ" in str(before.message)
    assert "最終確認" in str(summary.message)
    assert "1年以上先" in str(ahead.message)
    assert "過去" in str(gone.message)


@pytest.mark.django_db
def test_the_service_refuses_and_keeps_nothing(scene):
    with pytest.raises(DateProblem), translation.override("en"):
        services.create_campaign(
            "typo",
            old=[scene.old.name],
            new=scene.new.name,
            cutoff=f.CUTOFF,
            deadline=f.CUTOFF + timedelta(minutes=31),
            actor="test",
            now=f.CUTOFF - 7 * DAY,
        )
    assert not Campaign.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "words"), [("en", "30 days before"), ("ja", "30日前")])
def test_the_console_form_shows_the_problem_at_its_field(scene, language, words):
    cutoff = timezone.localtime() + DAY
    data = {
        "name": "spring",
        "old": [scene.old.name],
        "new": scene.new.name,
        "cutoff": f"{cutoff:%Y-%m-%dT%H:%M}",
        "deadline": f"{cutoff + timedelta(minutes=31):%Y-%m-%dT%H:%M}",
        "reminders": "30,14,7,3,1",
    }
    with translation.override(language):
        form = CampaignForm(data)
        assert not form.is_valid()
        assert set(form.errors) == {"reminders"}
        assert words in form.errors["reminders"][0]
        data["deadline"] = f"{cutoff.replace(year=cutoff.year + 2):%Y-%m-%dT%H:%M}"
        form = CampaignForm(data)
        assert not form.is_valid() and set(form.errors) == {"deadline"}


@pytest.mark.django_db
def test_the_cli_prints_one_line_and_fails(scene):
    """Django prints a CommandError as one line on stderr and exits with its return code."""
    argv = [
        "--at", (f.CUTOFF - 7 * DAY).isoformat(), "create", "g2",
        "--old", scene.old.name, "--new", scene.new.name,
        "--cutoff", f.CUTOFF.isoformat(), "--deadline", (f.CUTOFF + 10 * DAY).isoformat(),
        "--reminders", "30,7",
    ]  # fmt: skip
    with pytest.raises(CommandError) as failed, translation.override("en"):
        call_command("campaign", *argv, stdout=io.StringIO())
    assert failed.value.returncode != 0
    assert "\n" not in str(failed.value)
    assert str(failed.value).startswith("The reminder 30 days before the deadline")
    assert not Campaign.objects.exists()


def postponement_refused(new_deadline, *, lang="en"):
    from jitsuin.campaigns.dates import check_postponement

    with pytest.raises(DateProblem) as caught, translation.override(lang):
        check_postponement(
            cutoff=NOW - 30 * DAY, deadline=NOW + 10 * DAY, new_deadline=new_deadline, now=NOW
        )
    assert caught.value.field == "deadline"
    return str(caught.value)


def test_a_postponement_moves_the_deadline_later_into_the_future_and_catches_a_year_typo():
    assert "in the past" in postponement_refused(NOW - DAY)
    assert "not after the current one" in postponement_refused(NOW + 5 * DAY)
    typo = postponement_refused(NOW + 10 * DAY + 365 * DAY)
    assert "year a typo" in typo
    assert "現在の期限" in postponement_refused(NOW + 5 * DAY, lang="ja")


def test_the_service_applies_the_postponement_rules(campaign, published):
    f.holders(f.people(2), published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    campaign = services.start(campaign, actor="user:op", now=f.CUTOFF)
    with pytest.raises(DateProblem, match="not after the current one"), translation.override("en"):
        services.postpone(
            campaign,
            to=campaign.deadline - DAY,
            actor="user:ca",
            reason="exams",
            now=f.DURING_CAMPAIGN,
        )
    campaign.refresh_from_db()
    assert campaign.deadline == f.DEADLINE
