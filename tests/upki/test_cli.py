"""`jitsuin upki check|status|exchange` against the simulator, and without the settings."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command

from jitsuin.lifecycle.services import request_issue
from jitsuin.upki.models import Batch, Line, LineState
from tests.lifecycle.conftest import key, make_person
from tests.upstream import sim


def test_check_status_and_one_exchange(national, capsys):
    call_command("upki", "check")
    out = capsys.readouterr().out
    assert "signed in as the officer; 0 certificates listed" in out
    assert "opened (no new mail)" in out
    person = make_person("cli")
    request = request_issue(person, actor="user:cli", idempotency_key=key(), now=national.now)
    national.tick()
    Line.objects.filter(request_id=request.pk).update(created_at=national.now.replace(year=2020))
    call_command("upki", "exchange")
    assert re.search(r"batches: \[\(\d+, 'answered'\)\]", capsys.readouterr().out)
    assert Line.objects.get(request_id=request.pk).state == LineState.ACCEPTED
    call_command("upki", "status")
    out = capsys.readouterr().out
    assert "サービスが受付" in out and "回答あり" in out  # the labels, in the language set
    assert Batch.objects.count() == 1


def test_check_names_what_is_wrong(national):
    national.service.stop()
    with pytest.raises(CommandError, match="127.0.0.1"):
        call_command("upki", "check")
    national.service = sim.serve_on(
        national.directory, national.service.officer_port, national.service.public_port
    )


def test_without_the_settings_the_command_says_so(db):
    with pytest.raises(CommandError, match="JITSUIN_UPKI_URL is not set"):
        call_command("upki", "status")
