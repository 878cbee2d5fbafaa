"""`jitsuin requests` is an alias of `jitsuin request list`: one query, one table."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from jitsuin.lifecycle.models import Person, RequestState


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_requests_prints_the_same_table_as_request_list(ca_hierarchy):
    for uid in ("aoi", "ren"):
        run("user", "add", uid, "--email", f"{uid}@example.ac.jp")
        run("issue", uid)
    assert Person.objects.count() == 2
    for filters in ([], ["--user", "aoi"], ["--state", RequestState.QUEUED], ["--limit", "1"]):
        table = run("requests", *filters)
        assert table == run("request", "list", *filters)
        assert table.splitlines()[0].split()[:3] == ["ID", "KIND", "STATE"]
    assert len(run("requests", "--user", "aoi").splitlines()) == 2
    assert len(run("requests", "--limit", "1").splitlines()) == 2
    assert run("requests", "--state", RequestState.FAILED).splitlines()[1:] == []
