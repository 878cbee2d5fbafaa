"""Lifecycle messages are translated: Japanese is first-class."""

from __future__ import annotations

import pytest
from django.utils import translation

from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import RequestState
from jitsuin.lifecycle.permissions import DisplayStatus, actions_for
from jitsuin.lifecycle.services import request_issue
from tests.lifecycle.conftest import T0, key, make_person


def test_statuses_in_japanese(db):
    with translation.override("ja"):
        assert str(DisplayStatus.LABELS[DisplayStatus.REVOKING]) == "失効申請中"
        assert str(RequestState.READY.label) == "ダウンロード可能"


def test_refusals_in_japanese_and_english(profile, t0):
    gone = make_person("gone", active=False)
    with translation.override("ja"), pytest.raises(NotAllowed) as err:
        request_issue(gone, actor="user:gone", idempotency_key=key(), now=t0)
    assert str(err.value.message) == "このアカウントは有効ではありません。"
    with translation.override("en"):
        assert str(actions_for(gone, now=T0).issue_blocked_reason) == "This account is not active."
