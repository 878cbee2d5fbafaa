"""The campaign state table: every allowed step works and is recorded; the rest are refused."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from jitsuin.audit.models import AuditEvent
from jitsuin.campaigns import transitions
from jitsuin.campaigns.models import Campaign, CampaignState
from jitsuin.lifecycle.errors import InvalidState
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db

S = CampaignState
CASES = [(step, state) for step in transitions.TABLE for state in CampaignState.values]


def _campaign_in(scene, state: str) -> Campaign:
    campaign = Campaign.objects.create(
        name=f"c-{state}",
        new_authority=scene.new,
        cutoff=f.CUTOFF,
        deadline=f.DEADLINE,
        created_by="test",
        created_at=f.CUTOFF,
        state=state,
    )
    campaign.old_authorities.set([scene.old])
    return campaign


def _events(campaign: Campaign):
    return AuditEvent.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk))


@pytest.mark.parametrize(("step", "state"), CASES, ids=[f"{s}:{st}" for s, st in CASES])
def test_state_table(scene, step, state):
    campaign = _campaign_in(scene, state)
    before = _events(campaign).count()
    with transaction.atomic():
        if transitions.allowed(step, state):
            row = transitions.transition(
                campaign, step, actor="test", reason="why", now=f.DURING_CAMPAIGN
            )
            assert row.state == transitions.TABLE[step].to
            assert Campaign.objects.get(pk=campaign.pk).state == transitions.TABLE[step].to
            event = _events(campaign).latest("id")
            assert event.action == transitions.TABLE[step].event
            assert (event.actor, event.data["reason"]) == ("test", "why")
        else:
            with pytest.raises(InvalidState) as refused:
                transitions.transition(campaign, step, actor="test", now=f.DURING_CAMPAIGN)
            assert str(refused.value.message) == str(transitions.TABLE[step].refused)
            assert Campaign.objects.get(pk=campaign.pk).state == state
            assert _events(campaign).count() == before


@pytest.mark.parametrize("step", list(transitions.TABLE))
def test_every_refusal_is_said_in_japanese_and_english(step):
    message = transitions.TABLE[step].refused
    with translation.override("en"):
        english = str(message)
    with translation.override("ja"):
        japanese = str(message)
    assert english != japanese and japanese.endswith("。")


def test_the_table_read_as_moves():
    assert transitions.TERMINAL == {CampaignState.COMPLETED, CampaignState.CANCELLED}
    assert transitions.MOVES[CampaignState.DRAFT] == {S.STARTED, S.CANCELLED}
    assert CampaignState.STARTED in transitions.MOVES[CampaignState.CONFIRMED]  # postpone


def test_transition_outside_a_transaction_is_a_programming_error(scene):
    campaign = _campaign_in(scene, CampaignState.DRAFT)
    from django.db import connection

    atomic = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError):
            transitions.transition(campaign, "cancel", actor="test")
    finally:
        connection.in_atomic_block = atomic
