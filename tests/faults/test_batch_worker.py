"""A batch run ends only when no workable request is left, and says so."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jitsuin.lifecycle.models import Request, RequestState
from jitsuin.lifecycle.pipeline_worker import PipelineWorker
from jitsuin.lifecycle.services import request_issue
from tests.lifecycle.conftest import key, make_person

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_batch_run_does_not_stop_at_an_empty_poll_while_requests_are_queued(ca_hierarchy, caplog):
    for i in range(5):
        request_issue(make_person(f"b{i}"), actor="test", idempotency_key=key())
    # What a poll sees when each request's only task was put back 2 s ("busy": its row was
    # locked for a moment) or SQLite was locked: nothing ready now.
    DBTaskResult.objects.update(run_after=timezone.now() + timedelta(hours=1))
    with caplog.at_level(logging.INFO, logger="jitsuin.worker"):
        PipelineWorker(batch=True, tick_every=0, interval=0.05).run()
    states = list(Request.objects.values_list("state", flat=True))
    assert states == [RequestState.READY] * 5
    assert "batch done, no workable request left" in caplog.text
