"""Campaign console pages: staff with a verified second factor follow campaigns; CA admins
create, start and steer them (the permission matrix is in tests/security)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jitsuin.audit import export
from jitsuin.audit.models import AuditEvent
from jitsuin.campaigns import mailing, services
from jitsuin.campaigns.models import Campaign, CampaignState, CampaignTask
from tests import staff_fixtures
from tests.campaigns import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.campaigns.urls")]


def sign_in(client, username, *, staff=True, verified=True, roles=()):
    user = User.objects.create_user(username, password="x" * 16, is_staff=staff)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    staff_fixtures.sign_in(user, verified=verified, client=client)
    return user


@pytest.fixture
def live(scene):
    """A campaign whose cut-off is now, with six holders and fresh CRLs."""
    return f.campaign_starting_now(scene, 6, name="live", real=1)


def test_people_without_staff_role_or_second_factor_are_kept_out(client, live):
    url = f"/console/campaigns/{live.pk}/"
    assert client.get(url).status_code == 302  # to the sign-in page
    sign_in(client, "alice", staff=False)
    assert client.get(url).status_code == 403
    client.logout()
    sign_in(client, "bob", verified=False, roles=["helpdesk"])
    response = client.get(url)
    assert response.status_code == 302 and "/account/totp/" in response["Location"]


def test_ca_admin_starts_and_the_other_roles_follow_progress(
    client, live, django_capture_on_commit_callbacks
):
    sign_in(client, "ca", roles=["ca-admin"])
    operator = Client()
    sign_in(operator, "op", roles=["operator"])
    page = operator.get(f"/console/campaigns/{live.pk}/")
    assert page.status_code == 200
    assert page.context["plan"].people == 6
    assert "事前チェック" in page.content.decode()  # Japanese by default
    assert f"/console/campaigns/{live.pk}/start/" not in page.content.decode()
    operator.cookies["jitsuin_lang"] = "en"
    assert b"Pre-flight checks" in operator.get(f"/console/campaigns/{live.pk}/").content
    assert operator.get("/console/campaigns/").status_code == 200

    review = client.get(f"/console/campaigns/{live.pk}/start/")
    assert review.status_code == 200
    assert [p.language for p in review.context["previews"]] == ["ja", "en"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/console/campaigns/{live.pk}/start/", {"typed": live.name, "reason": "term starts"}
        )
    assert response.status_code == 302
    # start() queued the first chunk of invitations on commit (the one path, also the CLI's).
    queued = DBTaskResult.objects.filter(queue_name="bulk", status=TaskResultStatus.READY)
    assert [r.task_path.rsplit(".", 1)[-1] for r in queued] == ["send_chunk"]
    live.refresh_from_db()
    assert live.state == CampaignState.STARTED
    task = CampaignTask.objects.get(campaign=live, kind="invite")
    assert (task.total, task.state) == (6, "queued")  # the worker sends them
    mailing.send_invitations(live)
    fragment = operator.get(f"/console/campaigns/{live.pk}/tasks/")
    assert b"6 / 6" in fragment.content and b"hx-trigger" not in fragment.content

    page = operator.get(f"/console/campaigns/{live.pk}/")
    assert page.context["progress"].not_started == 6
    assert len(page.context["stragglers"]) == 6
    row, link = page.context["stragglers"][0]
    assert link == f"/console/people/{row.person_id}/"  # the helpdesk's page for the person
    assert page.context["chart"]
    csv = b"".join(operator.get(f"/console/campaigns/{live.pk}/export.csv").streaming_content)
    assert csv.decode("utf-8-sig").splitlines()[0] == (
        "uid,name,affiliation,email,category,category_label,last_seen_at,old_serial,"
        "reminders_sent,last_reminder_at,reminder_days"
    )
    assert len(csv.splitlines()) == 7
    assert AuditEvent.objects.filter(action="campaign.exported", actor="staff:op").exists()

    # Steering a running campaign is for CA admins only.
    assert operator.post(f"/console/campaigns/{live.pk}/summary/").status_code == 403
    services.prepare_summary(live, actor="test")
    assert operator.post(f"/console/campaigns/{live.pk}/confirm/").status_code == 403


def test_ca_admin_confirms_or_postpones(client, live):
    services.start(live, actor="test")
    services.prepare_summary(live, actor="test")
    sign_in(client, "ca", roles=["ca-admin"])
    later = timezone.localtime(live.deadline + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/console/campaigns/{live.pk}/postpone/", {"to": later, "reason": "exams"})
    live.refresh_from_db()
    assert live.state == CampaignState.STARTED and live.deadline > timezone.now() + timedelta(
        days=60
    )
    services.prepare_summary(live, actor="test")
    services.confirm(live, actor="staff:ca0", reason="first of two")
    client.post(f"/console/campaigns/{live.pk}/confirm/", {"typed": live.name, "reason": "checked"})
    live.refresh_from_db()
    assert live.state == CampaignState.CONFIRMED and live.confirmed_by == "staff:ca"
    assert live.first_confirmed_by == "staff:ca0"


def test_ca_admin_creates_a_draft_from_the_console(client, scene):
    sign_in(client, "ca", roles=["ca-admin"])
    assert client.get("/console/campaigns/new/").status_code == 200
    cutoff = timezone.localtime() + timedelta(days=1)  # dates that pass the date rules
    response = client.post(
        "/console/campaigns/new/",
        {
            "name": "spring",
            "old": [scene.old.name],
            "new": scene.new.name,
            "cutoff": f"{cutoff:%Y-%m-%dT%H:%M}",
            "deadline": f"{cutoff + timedelta(days=90):%Y-%m-%dT%H:%M}",
            "reminders": "30,7,1",
            "subject_ja": "切り替え",
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="spring")
    assert campaign.reminder_days == [30, 7, 1] and campaign.state == CampaignState.DRAFT


def test_a_campaign_step_in_the_console_is_found_under_the_staff_member(client, live):
    """The console names its staff ``staff:<username>`` on every page, campaigns included."""
    sign_in(client, "ca", roles=["ca-admin"])
    client.post(f"/console/campaigns/{live.pk}/cancel/", {"reason": "wrong dates"})
    live.refresh_from_db()
    assert live.state == CampaignState.CANCELLED
    found = export.events(export.AuditFilter(actor="staff:ca"))
    assert list(found.values_list("action", flat=True)) == ["campaign.cancelled"]
    assert not export.events(export.AuditFilter(actor="user:ca")).exists()
    page = client.get("/console/audit/", {"actor": "staff:ca"})
    assert page.status_code == 200
    assert [e.action for e in page.context["page"]] == ["campaign.cancelled"]
