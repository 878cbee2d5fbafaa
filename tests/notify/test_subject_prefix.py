"""Every e-mail's subject starts with the institution's name (JITSUIN_INSTITUTION_NAME), not
the product's, and a value that cannot go into a subject line is refused at start-up."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from jitsuin.config import JitsuinConfig, current
from jitsuin.config.values import ConfigError
from jitsuin.notify.services import BILINGUAL, EVENTS, render

CONTEXT = {"kind": "issue", "request_id": 7, "days": 30, "days_before": 3, "seq": 1}


@pytest.mark.django_db
def test_every_subject_starts_with_the_institution(monkeypatch):
    monkeypatch.setenv("JITSUIN_INSTITUTION_NAME", "東西大学 情報基盤センター")
    current.cache_clear()
    prefix = current().notify.subject_prefix
    for event in EVENTS:
        for language in ("ja", "en"):
            subject = render_to_string(
                f"notify/{language}/{event}.subject.txt", {**CONTEXT, "subject_prefix": prefix}
            )
            assert subject.startswith("[東西大学 情報基盤センター] "), (event, subject)
    subject, body = render("certificate_ready", dict(CONTEXT), "ja")
    assert subject.startswith("[東西大学 情報基盤センター] ")
    assert "東西大学 情報基盤センター 証明書サービス" in body and "jitsuin" not in body
    subject, _body = render("request_received", dict(CONTEXT), BILINGUAL)
    assert subject.count("[東西大学 情報基盤センター]") == 1


def test_the_organization_is_the_default_and_jitsuin_the_last_resort():
    assert JitsuinConfig.from_env({}).notify.subject_prefix == "[jitsuin] "
    named = JitsuinConfig.from_env({"JITSUIN_ORGANIZATION": "Example University"})
    assert named.notify.subject_prefix == "[Example University] "


@pytest.mark.parametrize("value", ["line\nbreak", "x" * 61, "[bracketed]"])
def test_a_name_that_cannot_go_into_a_subject_is_refused_naming_the_variable(value):
    with pytest.raises(ConfigError, match="^JITSUIN_INSTITUTION_NAME: "):
        JitsuinConfig.from_env({"JITSUIN_INSTITUTION_NAME": value})
