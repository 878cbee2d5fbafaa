"""`jitsuin serve` makes demo accounts on first run and prints them, marked DEMO."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model

from jitsuin import config
from jitsuin.access.models import SealedTOTPDevice as TOTPDevice
from jitsuin.cli.demo import DEMO_HOLDER, credentials_path, ensure_demo_data
from jitsuin.lifecycle.models import Person
from jitsuin.lifecycle.permissions import actions_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_on(monkeypatch):  # type: ignore[no-untyped-def]
    """JITSUIN_DEMO=1, as `make run` sets it (the default makes no demo accounts)."""
    monkeypatch.setenv("JITSUIN_DEMO", "1")
    config.current.cache_clear()
    yield
    monkeypatch.delenv("JITSUIN_DEMO")
    config.current.cache_clear()


def test_demo_accounts_are_made_once_and_printed(ca_hierarchy, demo_on):
    out = io.StringIO()
    ensure_demo_data(out, passwords={"demo-student": "demo-password-1"})
    text = out.getvalue()
    assert "[DEMO]" in text and "NOT FOR PRODUCTION" in text
    assert "demo-student" in text and "demo-password-1" in text
    assert "TOTP key" in text
    # One label per value, so the line reads (and parses) unambiguously.
    student = r"\[DEMO\] role: user\s+username: demo-student\s+password: demo-password-1\n"
    staff = r"role: helpdesk\s+username: demo-helpdesk\s+password: \S+\s+TOTP key: [A-Z2-7]+"
    assert re.search(student, text) and re.search(staff, text)
    user = get_user_model().objects.get(username="demo-student")
    assert user.check_password("demo-password-1")
    assert TOTPDevice.objects.filter(user__username="demo-helpdesk", confirmed=True).exists()
    assert oct(credentials_path().stat().st_mode & 0o777) == "0o600"
    holder = Person.objects.get(uid=DEMO_HOLDER)
    certificate = holder.certificates.get()
    assert actions_for(holder).for_certificate(certificate).status == "valid"
    again = io.StringIO()
    ensure_demo_data(again)
    assert "exist" in again.getvalue()
    assert holder.certificates.count() == 1


def test_the_demo_shows_a_notice_and_a_maintenance_window(ca_hierarchy, demo_on, client):
    from jitsuin.lifecycle.models import MaintenanceWindow
    from jitsuin.notify.models import Notice

    ensure_demo_data(io.StringIO())
    ensure_demo_data(io.StringIO())  # a second start adds nothing
    assert Notice.objects.count() == 1 and MaintenanceWindow.objects.count() == 1
    page = client.get("/notices/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "（デモ）証明書サービスのお知らせ" in page
    assert "（デモ）計画メンテナンス" in page  # the banner, a week ahead
