"""The person page shows where a leaver stands: pending with its date, done, or cancelled."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jitsuin.config import current
from jitsuin.lifecycle import leavers
from jitsuin.lifecycle.models import Person

pytestmark = pytest.mark.django_db


def test_the_person_page_shows_the_leaver_state(helpdesk, monkeypatch):
    config = current()
    monkeypatch.setattr(
        leavers,
        "current",
        lambda: dataclasses.replace(
            config, pipeline=dataclasses.replace(config.pipeline, leaver_grace_days=14)
        ),
    )
    person = Person.objects.create(uid="bob", email="bob@example.ac.jp")
    url = reverse("console:person", args=[person.pk])
    helpdesk.cookies["jitsuin_lang"] = "en"
    assert 'data-testid="leaver"' not in helpdesk.get(url).content.decode()
    now = timezone.now()
    leavers.deactivate(person, actor="cli:staff", reason="graduated", now=now)
    html = helpdesk.get(url).content.decode()
    when = timezone.localtime(now + timedelta(days=14)).strftime("%Y-%m-%d %H:%M")
    assert f"certificates revoked on {when} unless reactivated before" in html
    assert "graduated" in html
    leavers.reactivate(person, actor="cli:staff")
    assert "Reactivated within the grace" in helpdesk.get(url).content.decode()
