"""What relying parties' agents report, and when one is behind: silent, failing, missing a
CRL or holding an old or expired one; the host's first report and forgetting it are audited,
reports are not; a campaign's deadline rows say who loaded the CRL revoking the old CA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from django.utils import timezone, translation

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import Authority, PublishedCrl, RelyingParty
from jitsuin.authorities.publishing import relying_parties as parties
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.authorities.revocations import revoke_authority
from jitsuin.authorities.services import activate, create_intermediate

pytestmark = pytest.mark.django_db

GRACE = timedelta(minutes=30)  # JITSUIN_RELYING_PARTY_GRACE's default


@pytest.fixture(autouse=True)
def _crls_published(ca_hierarchy):
    for authority in (ca_hierarchy.root, ca_hierarchy.intermediate):
        if PublishedCrl.objects.latest_for(authority) is None:
            publish_crl(authority)


def reported(row: PublishedCrl) -> parties.ReportedCrl:
    """The CRL as the agent reports it, read from its DER like the agent reads its file."""
    crl = x509.load_der_x509_crl(bytes(row.der))
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    return parties.ReportedCrl(
        issuer=crl.issuer.rfc4514_string(),
        authority_key_id=aki.key_identifier.hex() if aki.key_identifier else "",
        number=row.number,
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
    )


def newest() -> tuple[parties.ReportedCrl, ...]:
    return tuple(
        reported(PublishedCrl.objects.latest_for(a))
        for a in Authority.objects.all()
        if PublishedCrl.objects.latest_for(a)
    )


def report(name="radius1", *, ok=True, crls=None, token="radius", now=None, error=""):  # noqa: S107
    crls = newest() if crls is None else crls
    now = now or timezone.now()
    return parties.record_report(
        token, parties.Report(name, ok, error, "jitsuin 0.1.0", crls), now=now
    )


def state(party, now=None):
    return parties.state_of(party, parties.Published.now(), now=now or timezone.now())


def test_the_first_report_registers_the_host_and_later_ones_update_it(ca_hierarchy):
    first = report(now=timezone.now() - timedelta(minutes=5))
    again = report()
    assert first.pk == again.pk and RelyingParty.objects.count() == 1
    assert again.first_report_at < again.last_report_at == again.last_success_at
    events = AuditEvent.objects.filter(action="relying_party.registered")
    assert [(e.actor, e.data["name"]) for e in events] == [("token:radius", "radius1")]
    assert state(again).ok
    assert {c.authority.name for c in state(again).crls} == {
        ca_hierarchy.root.name,
        ca_hierarchy.intermediate.name,
    }


def test_another_token_with_the_same_name_is_another_host(ca_hierarchy):
    report(token="radius")
    report(token="vpn")
    assert RelyingParty.objects.count() == 2


def test_a_new_crl_not_loaded_within_the_grace_makes_it_behind(ca_hierarchy):
    party = report()
    held = PublishedCrl.objects.latest_for(ca_hierarchy.intermediate).number
    published = publish_crl(ca_hierarchy.intermediate)
    assert state(party).ok  # just published: the agent has its interval to fetch it
    later = published.this_update + GRACE + timedelta(seconds=1)
    party = report(crls=tuple(_without(published)), now=later)
    [problem] = state(party, later).problems
    assert (problem.code, problem.loaded, problem.published) == ("behind", held, published.number)
    assert problem.authority == ca_hierarchy.intermediate.name
    with translation.override("en"):
        assert "was published at" in problem.text
    assert state(report(now=later), later).ok  # it loaded it


def _without(published: PublishedCrl) -> list[parties.ReportedCrl]:
    """The newest CRLs but ``published``: its predecessor instead."""
    rows = []
    for authority in Authority.objects.all():
        row = PublishedCrl.objects.latest_for(authority)
        if row.pk == published.pk:
            row = PublishedCrl.objects.filter(authority=authority, number__lt=row.number).first()
        rows.append(reported(row))
    return rows


def test_a_host_that_stops_reporting_is_silent_after_the_grace(ca_hierarchy):
    party = report()
    later = party.last_report_at + GRACE
    [problem] = state(party, later).problems
    assert problem.code == "silent" and problem.since == party.last_report_at


def test_failing_syncs_count_once_the_last_success_is_older_than_the_grace(ca_hierarchy):
    start = timezone.now()
    report(now=start)
    party = report(ok=False, error="kept the last good set: HTTP 503", now=start + GRACE)
    assert party.last_success_at == start and party.last_error.endswith("HTTP 503")
    assert [p.code for p in state(party, start + GRACE).problems] == ["failing"]
    recovered = report(now=start + GRACE + timedelta(minutes=1))
    assert recovered.last_error == "" and state(recovered, recovered.last_report_at).ok


def test_a_host_without_a_ca_s_crl_and_one_holding_an_expired_crl(ca_hierarchy):
    now = timezone.now()
    root_only = tuple(c for c in newest() if "Root" in c.issuer or c.issuer.endswith("Root CA"))
    party = report(crls=root_only or newest()[:1], now=now)
    codes = [p.code for p in state(party, now + GRACE).problems]
    assert "missing" in codes
    expired = [
        parties.ReportedCrl(c.issuer, c.authority_key_id, c.number, c.this_update, now)
        for c in newest()
    ]
    party = report(crls=tuple(expired), now=now + timedelta(seconds=1))
    found = state(party, now + timedelta(seconds=1)).problems
    assert {p.code for p in found} == {"expired"} and len(found) == 2
    with translation.override("en"):
        assert "refuses all its certificates" in found[0].text
    assert "すべての証明書を拒否します" in found[0].text  # the default language


def test_a_crl_of_a_ca_jitsuin_does_not_know_is_listed_apart(ca_hierarchy):
    stranger = parties.ReportedCrl("CN=Other CA", "ab" * 20, 7, timezone.now(), None)
    party = report(crls=(*newest(), stranger))
    result = state(party)
    assert result.ok and [u.issuer for u in result.unknown] == ["CN=Other CA"]


def test_a_token_reports_for_a_bounded_number_of_hosts(ca_hierarchy, monkeypatch):
    monkeypatch.setattr(parties, "MAX_PER_TOKEN", 2)
    report("a")
    report("b")
    report("a")  # an existing host always reports
    with pytest.raises(parties.TooManyRelyingParties):
        report("c")
    assert RelyingParty.objects.count() == 2


def test_forgetting_a_host_is_audited(ca_hierarchy):
    party = report()
    parties.forget(party, actor="staff:admin", now=timezone.now())
    assert not RelyingParty.objects.exists()
    event = AuditEvent.objects.get(action="relying_party.forgotten")
    assert (event.actor, event.data["name"]) == ("staff:admin", "radius1")


def test_deadline_rows_say_who_loaded_the_crl_that_revokes_the_old_intermediate(ca_hierarchy):
    old = ca_hierarchy.intermediate
    behind = report("radius-behind")
    new = create_intermediate("Example Univ Client CA G2")
    activate(new.name)
    assert [r.needed for r in parties.deadline_rows(old, now=timezone.now())] == [None]
    before = PublishedCrl.objects.latest_for(ca_hierarchy.root)
    revoke_authority(old.name, reason="superseded")
    old.refresh_from_db()
    listing = publish_crl(ca_hierarchy.root)
    assert parties.first_crl_listing(old).pk == listing.pk
    assert before.number < listing.number
    current = report("radius-current")
    rows = {r.state.party.name: r for r in parties.deadline_rows(old, now=timezone.now())}
    assert rows["radius-current"].has_it and not rows["radius-behind"].has_it
    assert rows["radius-behind"].loaded.number == before.number
    assert behind.pk != current.pk
