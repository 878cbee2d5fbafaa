"""The pipeline's floor (benchmarks.pipeline_floor): the database-free work of certificates a
run just finished is measured from the run's own rows, and the timed part touches no table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks import pipeline_floor
from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Request, RequestState
from jitsuin.lifecycle.pipeline_worker import PipelineWorker
from jitsuin.lifecycle.services import default_profile, request_issue
from tests.lifecycle.conftest import key, make_person
from tests.lifecycle.test_pipeline_queries import _csr

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_floor_is_measured_on_the_runs_certificates(ca_hierarchy: object) -> None:
    profile = default_profile()
    profile.key_spec = "p256"
    profile.save(update_fields=["key_spec"])
    mark = pipeline_floor.audit_mark()
    requests = [
        request_issue(make_person(f"f{i}"), actor="t", idempotency_key=key(), profile=profile,
                      csr_pem=_csr())
        for i in range(3)
    ]  # fmt: skip
    PipelineWorker(queue_names=["pipeline"], batch=True, tick_every=0, interval=0).run()
    ids = [r.pk for r in requests]
    assert Request.objects.filter(pk__in=ids, state=RequestState.DONE).count() == 3
    events = AuditEvent.objects.filter(id__gt=mark).count()
    with CaptureQueriesContext(connection) as queries:
        floor = pipeline_floor.measure(ids, mark)
    # Every part was timed on something: each costs CPU, the audit part on the run's events.
    for part in ("csr_checks", "certificate", "ocsp_answer", "emails", "audit_seals"):
        assert getattr(floor, part) > 0, part
    assert floor.events_per_certificate == events / 3 >= 4
    assert floor.total == pytest.approx(
        floor.csr_checks + floor.certificate + floor.ocsp_answer + floor.emails
        + floor.audit_seals
    )  # fmt: skip
    # The reads come before the clock: a handful, not one per certificate or event.
    assert len(queries) <= 8, [q["sql"] for q in queries.captured_queries]
    with CaptureQueriesContext(connection) as one:
        pipeline_floor.measure(ids[:1], mark)
    with CaptureQueriesContext(connection) as three:
        pipeline_floor.measure(ids, mark)
    assert len(one) == len(three)
