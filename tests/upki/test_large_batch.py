"""A campaign's worth at once: 500 people in one batch, three of them with an address the
service refuses. The error page takes nothing; the three fail with the service's reason,
the 497 others go in the next batch, and each ends exactly once (slow: 497 keys are made by
the simulator and collected; run once, on the PostgreSQL pass, with the other peers)."""

from __future__ import annotations

import time

import pytest

from jitsuin.lifecycle.models import Person, Request, RequestState
from jitsuin.lifecycle.services import request_issue
from jitsuin.upki.models import Batch, BatchState, Line, LineState
from tests.lifecycle.conftest import key
from tests.upki.national import applications_for

pytestmark = [pytest.mark.peers, pytest.mark.slow]
PEOPLE, REFUSED = 500, {17, 250, 499}


def test_a_batch_of_500_with_refused_lines(national, capsys):
    people = Person.objects.bulk_create(
        Person(
            uid=f"s{n:04d}",
            name_ja=f"学生 ｶﾞｸｾｲ{n}",
            name_en=f"Student {n}",
            # Full-width letters: Shift_JIS carries them, the service wants a plain address.
            email=f"ｓ{n}@example.ac.jp" if n in REFUSED else f"s{n:04d}@example.ac.jp",
        )
        for n in range(PEOPLE)
    )
    started = time.monotonic()
    requests = [
        request_issue(p, actor=f"user:{p.uid}", idempotency_key=key(), now=national.now)
        for p in people
    ]
    national.until(
        lambda: not Request.objects.filter(state__in=["queued", "waiting", "processing"]).exists(),
        timeout=600,
    )
    took = time.monotonic() - started
    states = dict.fromkeys(RequestState.values, 0)
    for request in Request.objects.all():
        states[request.state] += 1
    assert states[RequestState.READY] == PEOPLE - len(REFUSED)
    assert states[RequestState.FAILED] == len(REFUSED)
    for n in REFUSED:
        failed = Request.objects.get(person=people[n])
        assert "903" in failed.last_error
    refused, answered = Batch.objects.order_by("pk")
    assert refused.state == BatchState.REFUSED and answered.state == BatchState.ANSWERED
    assert answered.lines.count() == PEOPLE - len(REFUSED)
    assert Line.objects.filter(state=LineState.DONE).count() == PEOPLE - len(REFUSED)
    for line in Line.objects.filter(request_id__in=[r.pk for r in requests[:20]]):
        assert applications_for(national.directory, line.dn) == (0 if line.state == "failed" else 1)
    with capsys.disabled():
        print(f"\n500-person batch through the simulator: {took:.1f} s")
