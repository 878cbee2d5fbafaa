"""The campaign e-mails on a person's console page are named for what they were."""

from __future__ import annotations

import pytest
from django.utils import translation

from jitsuin.console.campaigns.person import _mail_label


@pytest.mark.parametrize(
    ("key", "english", "japanese"),
    [
        ("campaign:3:invite:41", "Invitation", "案内メール"),
        (
            "campaign:3:invite:41:resend:202612040738",
            "Invitation (sent again)",
            "案内メール（再送）",
        ),
        (
            "campaign:3:reminder:20270202:7:41",
            "Reminder (7 days before the deadline)",
            "期限の 7 日前",
        ),
        ("campaign:3:reminder:manual:1:41", "Reminder (sent by hand)", "リマインダー（手動送信）"),
        ("campaign:3:deadline:41", "Deadline notice", None),
    ],
)
def test_each_kind_of_campaign_mail_has_its_own_label(key, english, japanese):
    with translation.override("en"):
        assert str(_mail_label(key)) == english
    with translation.override("ja"):
        label = str(_mail_label(key))
        assert "1 日前" not in label  # a round's number is never read as days
        if japanese:
            assert japanese in label
