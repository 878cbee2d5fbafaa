"""Waiting for a request in the foreground (CLI ``--wait``, demo data, benchmarks).

The caller advances the request itself when it is due, so ``--wait`` works with no worker
running; with workers running, the lease keeps the two from doing the work twice.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from jitsuin.lifecycle import pipeline
from jitsuin.lifecycle.models import WAIT_POLICY, Request, RequestState
from jitsuin.lifecycle.transitions import WORKABLE


def wait_for_request(request: Request, *, timeout: timedelta, poll: float = 0.5) -> Request:
    """Drive ``request`` until it leaves the workable states or ``timeout`` passes."""
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        request = Request.objects.select_related("certificate").get(pk=request.pk)
        if request.state not in WORKABLE:
            return request
        if request.state == RequestState.WAITING and request.wait_reason == WAIT_POLICY:
            pass  # held by another request (revoke-first); only time helps
        else:
            pipeline.advance(request.pk)
            request = Request.objects.select_related("certificate").get(pk=request.pk)
            if request.state not in WORKABLE:
                return request
        if time.monotonic() >= deadline:
            return request
        pause = poll
        if request.not_before is not None:
            until_due = (request.not_before - timezone.now()).total_seconds()
            pause = max(min(until_due, 5.0), 0.05)
        time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)) or 0.05)
