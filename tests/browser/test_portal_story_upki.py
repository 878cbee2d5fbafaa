"""The seed's story in Chromium, unchanged, with the national service's simulator as the
CA: the portal's pages, its double-click guards and its download are the same whoever signs
(issue 18). The worker's steps are the pipeline and the upki exchange, run until the
service has answered."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from jitsuin.lifecycle import pipeline
from jitsuin.lifecycle.models import Request
from jitsuin.lifecycle.transitions import WORKABLE
from jitsuin.upki import jobs
from tests.browser import test_portal_story as story
from tests.browser.test_portal_story import STORIES, chromium, portal_url  # noqa: F401
from tests.portal import conftest as portal
from tests.upki.national import running_national

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def run_worker_with_the_service(rounds: int = 10, timeout: float = 60.0) -> None:
    """The worker: the pipeline and the exchange with the service, until no request waits."""
    deadline = time.monotonic() + timeout
    while Request.objects.filter(state__in=WORKABLE).exists():
        assert time.monotonic() < deadline, "the national service did not answer in time"
        for pk in Request.objects.filter(state__in=WORKABLE).values_list("pk", flat=True):
            pipeline.advance(pk, worker_id="portal-test")
        jobs.exchange(timezone.now())
        time.sleep(0.3)


@pytest.fixture
def with_the_national_service(tmp_path, monkeypatch, ca_hierarchy):  # type: ignore[no-untyped-def]
    settings = {"JITSUIN_UPKI_BATCH_INTERVAL": "1s", "JITSUIN_UPKI_POLL": "1s"}
    with running_national(tmp_path, monkeypatch, **settings) as national:
        monkeypatch.setattr(story, "run_worker", run_worker_with_the_service)
        monkeypatch.setattr(portal, "run_worker", run_worker_with_the_service)
        yield national


@pytest.mark.parametrize("seed_story", STORIES[:1], ids=["ja"])
def test_the_seed_story_with_the_national_service(  # type: ignore[no-untyped-def]
    with_the_national_service,
    portal_url,  # noqa: F811 - the story's fixture
    chromium,  # noqa: F811 - the story's fixture
    seed_story,
):
    story.test_the_seed_story(portal_url, chromium, seed_story)
    old, new = Request.objects.filter(kind="issue").order_by("pk")
    assert old.certificate.issuer.upstream and new.certificate.issuer.upstream
