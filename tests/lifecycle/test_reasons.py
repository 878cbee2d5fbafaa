"""One label per revocation reason, in both languages, for every reason anyone may choose."""

from __future__ import annotations

import pytest
from django.utils import translation

from jitsuin.console.forms import RevokeForm
from jitsuin.lifecycle.reasons import (
    CA_REASONS,
    CONSOLE_REASONS,
    REASON_LABELS,
    USER_REASONS,
    reason_label,
)
from jitsuin.pki.crl import ENTRY_REASONS
from jitsuin.portal.templatetags.portal_extras import revocation_reason


def test_every_stored_reason_is_an_rfc_5280_name_with_a_label():
    assert set(REASON_LABELS) <= set(ENTRY_REASONS)
    assert set(USER_REASONS) | set(CONSOLE_REASONS) | set(CA_REASONS) <= set(REASON_LABELS)


@pytest.mark.parametrize("reason", sorted(REASON_LABELS))
def test_each_label_is_translated_to_japanese(reason):
    with translation.override("ja"):
        japanese = str(reason_label(reason))
    with translation.override("en"):
        assert japanese != str(reason_label(reason))


def test_the_page_and_the_console_say_the_same_words():
    with translation.override("en"):
        assert str(revocation_reason("cessationOfOperation")) == "no longer used"
        choices = dict(RevokeForm().fields["reason_code"].choices)
        assert str(choices["cessationOfOperation"]) == "no longer used"
        assert str(reason_label("")) == "unspecified"
        assert reason_label("somethingElse") == "somethingElse"
