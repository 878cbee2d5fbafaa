"""The domain querysets say in SQL what the business-day calendar says in Python."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from jitsuin.lifecycle.models import Request
from jitsuin.lifecycle.queries import stuck_requests
from jitsuin.workdays import JAPAN, add_business_days
from tests.notify import factories

pytestmark = pytest.mark.django_db

GOLDEN_WEEK = datetime(2026, 5, 8, 14, 30, tzinfo=JAPAN)  # Friday after the long weekend


def test_stuck_in_sql_is_exactly_the_business_day_rule():
    made = [GOLDEN_WEEK - timedelta(hours=5 * step + 1) for step in range(80)]  # 16 days back
    for at in made:
        factories.request(factories.person(), at=at, state="processing")
    for days in (1, 3, 5):
        expected = {at for at in made if GOLDEN_WEEK >= add_business_days(at, days)}
        found = set(
            Request.objects.stuck(now=GOLDEN_WEEK, business_days=days).values_list(
                "created_at", flat=True
            )
        )
        assert found == expected, days
        assert expected and expected != set(made)


def test_only_open_requests_are_stuck():
    factories.request(factories.person(), at=GOLDEN_WEEK - timedelta(days=30), state="done")
    failed = factories.request(
        factories.person(), at=GOLDEN_WEEK - timedelta(days=30), state="failed"
    )
    assert stuck_requests(GOLDEN_WEEK, 3) == [failed]
