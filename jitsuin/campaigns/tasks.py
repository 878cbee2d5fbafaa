"""Bulk campaign work as tasks on the ``bulk`` queue; each takes one small argument, an id."""

from __future__ import annotations

from django_tasks import task

from jitsuin.campaigns import services
from jitsuin.campaigns.models import Campaign


@task(queue_name="bulk")
def send_invitations(campaign_id: int) -> int:
    """Put the invitations in the outbox (progress in ``CampaignTask``); returns how many."""
    campaign = Campaign.objects.get(pk=campaign_id)
    done = services.send_invitations(campaign)
    return done.done if done else 0
