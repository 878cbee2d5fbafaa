"""Questions the front ends and the e-mails share: which requests are stuck."""

from __future__ import annotations

from datetime import datetime

from jitsuin.config import current
from jitsuin.lifecycle.models import Request


def stuck_business_days() -> int:
    """``JITSUIN_STUCK_BUSINESS_DAYS``: after how many business days an open request is stuck."""
    return current().notify.stuck_business_days


def stuck_requests(now: datetime, days: int | None = None) -> list[Request]:
    """Open requests older than ``days`` business days (Japanese calendar), oldest first."""
    return list(
        Request.objects.stuck(now=now, business_days=days or stuck_business_days())
        .select_related("person", "profile")
        .order_by("created_at")
    )
