"""The stale watch of relying parties: the helpdesk is e-mailed once per problem (in both
languages by default), a new problem (the next CRL missed) is mailed again, each alert is
audited, and the periodic job runs it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import PublishedCrl
from jitsuin.authorities.publishing import periodic, relying_party_watch
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.notify.models import OutboxMessage
from tests.authorities.publishing.test_relying_parties import (  # noqa: F401 (a fixture)
    GRACE,
    _crls_published,
    report,
    reported,
)

pytestmark = pytest.mark.django_db


def mails():
    return list(OutboxMessage.objects.filter(event="relying_party_behind").order_by("pk"))


def test_a_silent_host_is_mailed_once(ca_hierarchy):
    party = report("radius1.example.ac.jp")
    later = party.last_report_at + GRACE + timedelta(minutes=1)
    assert relying_party_watch.alert_staff(later) == 1
    assert relying_party_watch.alert_staff(later + timedelta(hours=3)) == 0  # the same problem
    [mail] = mails()
    assert "radius1.example.ac.jp" in mail.subject
    assert "接続先" in mail.subject and "is behind" in mail.subject  # ja+en by default
    assert "No report since" in mail.body and "以降、報告がありません" in mail.body
    assert "journalctl -u jitsuin-sync" in mail.body and "/console/relying-parties/" in mail.body
    [event] = AuditEvent.objects.filter(action="relying_party.behind")
    assert event.data["problem"] == "silent" and event.data["name"] == party.name


def test_each_crl_missed_is_a_new_problem(ca_hierarchy):
    root = reported(PublishedCrl.objects.latest_for(ca_hierarchy.root))
    held = reported(PublishedCrl.objects.latest_for(ca_hierarchy.intermediate))
    first = publish_crl(ca_hierarchy.intermediate)
    at = first.this_update + GRACE
    report(crls=(root, held), now=at)
    assert relying_party_watch.alert_staff(at) == 1
    body = mails()[0].body
    assert f"CRL {held.number} of" in body and f"CRL {first.number} was published" in body
    second = publish_crl(ca_hierarchy.intermediate)
    at = second.this_update + GRACE
    report(crls=(root, held), now=at)
    assert relying_party_watch.alert_staff(at) == 1
    assert f"CRL {second.number} was published" in mails()[1].body
    assert relying_party_watch.alert_staff(at) == 0


def test_a_current_host_raises_nothing_and_the_periodic_job_runs_the_watch(ca_hierarchy):
    report()
    assert relying_party_watch.alert_staff() == 0
    party = report("quiet")
    periodic.refresh(party.last_report_at + GRACE + timedelta(minutes=1))
    assert len(mails()) == 2  # both hosts went silent
