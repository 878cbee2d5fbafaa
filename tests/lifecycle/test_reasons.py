"""One label per revocation reason, in both languages, for every reason anyone may choose."""

from __future__ import annotations

from datetime import datetime, timedelta

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
from jitsuin.lifecycle.verdict import check_certificate
from jitsuin.notify.models import OutboxMessage
from jitsuin.pki.crl import ENTRY_REASONS
from jitsuin.portal.templatetags.portal_extras import revocation_reason
from jitsuin.workdays import JAPAN
from tests.notify import factories

T0 = datetime(2026, 1, 15, 10, 0, tzinfo=JAPAN)


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


def test_the_check_page_and_the_revocation_mail_give_the_same_reason(ca_hierarchy):
    holder = factories.person(language="en")
    certificate = factories.issue(holder, at=T0)
    factories.revoke(certificate, at=T0 + timedelta(days=1), reason="cessationOfOperation")
    mail = OutboxMessage.objects.get(key=f"revoked:{certificate.pk}")
    verdict = check_certificate(certificate.der, lang="en", now=T0 + timedelta(days=2))
    assert "Reason: no longer used\n" in mail.body
    assert "(reason: no longer used)" in verdict.message
