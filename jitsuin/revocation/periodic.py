"""The revocation app's periodic job: CRLs due, OCSP responses near nextUpdate, sightings,
staleness alerts. Registered with jitsuin.lifecycle.periodic in RevocationConfig.ready()."""

from __future__ import annotations

from datetime import datetime, timedelta

from jitsuin.authorities.services import apply_scheduled_revocations
from jitsuin.revocation import health, publishing, responder, sightings

EVERY = timedelta(minutes=1)


def refresh(now: datetime) -> None:
    apply_scheduled_revocations(now)
    publishing.refresh_crls(now)
    responder.refresh_responses(now)
    sightings.flush()
    health.alert_staff(now)
