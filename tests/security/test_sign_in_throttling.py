"""Review finding 5: password guessing on /account/login/ is throttled, and refusals are all alike.

django-axes counts failures per account and per source address; a locked account refuses even
the right password until the cool-off has passed, and the cool-off grows with more failures.
Time passing is simulated by moving the recorded failures back, not by sleeping.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F

from jitsuin import config
from jitsuin.access import throttle
from jitsuin.audit.models import AuditEvent
from tests.staff_fixtures import PASSWORD, otp_code, totp_device

pytestmark = pytest.mark.django_db

LOGIN = "/account/login/"


@pytest.fixture
def alice(db):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user(username="alice", password=PASSWORD)


def _try(client, username, password, **extra):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _error_text(response) -> str:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    return "".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>.*?</ul>', page))


def _let_time_pass(delta: timedelta) -> None:
    """As if ``delta`` went by since every recorded failure."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)
    AccessAttemptExpiration.objects.update(expires_at=F("expires_at") - delta)
    AccessFailureLog.objects.update(attempt_time=F("attempt_time") - delta)


def test_thirty_wrong_passwords_lock_the_account_with_a_growing_delay(client, alice):
    answers = [_try(client, "alice", f"guess-{n}") for n in range(30)]

    assert [a.status_code for a in answers[:4]] == [200] * 4
    assert all(a.status_code == 429 for a in answers[4:])
    first_wait = int(answers[4]["Retry-After"])
    last_wait = int(answers[-1]["Retry-After"])
    assert first_wait == 5 * 60
    assert last_wait > first_wait  # more guessing, longer wait

    right_password = _try(client, "alice", PASSWORD)
    assert right_password.status_code == 429
    assert "_auth_user_id" not in client.session

    _let_time_pass(timedelta(seconds=int(right_password["Retry-After"]) + 1))
    after_cool_off = _try(client, "alice", PASSWORD)
    assert after_cool_off.status_code == 302 and after_cool_off["Location"] == "/"


def test_the_lockout_page_says_when_to_try_again_in_both_languages(client, alice):
    for n in range(5):
        _try(client, "alice", f"guess-{n}")
    client.cookies.load({"jitsuin_lang": "en"})
    english = _try(client, "alice", PASSWORD)
    client.cookies.load({"jitsuin_lang": "ja"})
    japanese = _try(client, "alice", PASSWORD)
    assert english.status_code == japanese.status_code == 429
    assert re.search(r"Try again in \d+ minutes", _error_text(english))
    assert re.search(r"\d+ 分後に", _error_text(japanese))
    assert 'name="otp_token"' in english.content.decode()  # the sign-in page, not a bare 403


@pytest.fixture
def address_limit(monkeypatch):  # type: ignore[no-untyped-def]
    """JITSUIN_LOGIN_ADDRESS_LIMIT=5 for this test (the default, 100, is for a campus NAT)."""
    limited = dataclasses.replace(config.current(), login_address_limit=5)
    monkeypatch.setattr(throttle, "current", lambda: limited)
    return 5


def test_one_address_cannot_spray_many_accounts_and_a_forged_forwarded_for_does_not_help(
    client, address_limit
):  # type: ignore[no-untyped-def]
    users = get_user_model().objects
    for n in range(address_limit + 1):
        users.create_user(username=f"user{n}", password=PASSWORD)
    # Each guess names another account and claims another origin; 127.0.0.1 is no trusted proxy.
    for n in range(address_limit):
        assert (
            _try(client, f"user{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}").status_code == 200
        )
    fresh_account = _try(client, f"user{address_limit}", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.99")
    assert fresh_account.status_code == 429 and int(fresh_account["Retry-After"]) > 3000
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    # An hour later the address may try again.
    AccessFailureLog.objects.update(attempt_time=F("attempt_time") - timedelta(hours=1))
    assert _try(client, f"user{address_limit}", PASSWORD).status_code == 302


def test_staff_can_free_a_held_address_at_once(client, alice, address_limit):  # type: ignore[no-untyped-def]
    for n in range(address_limit):
        _try(client, f"nobody{n}", "guess")
    assert _try(client, "alice", PASSWORD).status_code == 429
    out = StringIO()
    call_command("user", "unlock", "--address", "127.0.0.1", stdout=out)
    assert f"({address_limit} failed sign-ins forgotten)" in out.getvalue()
    assert _try(client, "alice", PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(
        action="access.sign_in_unlocked", data__address="127.0.0.1"
    ).exists()


def test_a_few_typos_behind_one_nat_do_not_lock_out_everyone_else(client, alice):
    """The default: accounts lock at 5 failures; their shared address only at 100 an hour."""
    users = get_user_model().objects
    for n in range(8):
        users.create_user(username=f"student{n}", password=PASSWORD)
        _try(client, f"student{n}", "typo")
    assert _try(client, "alice", PASSWORD).status_code == 302


def test_a_staff_member_can_unlock_an_account_and_both_are_audited(client, alice):
    for n in range(5):
        _try(client, "alice", f"guess-{n}")
    assert _try(client, "alice", PASSWORD).status_code == 429
    out = StringIO()
    call_command("user", "unlock", "alice", stdout=out)
    assert "unlocked alice" in out.getvalue()
    assert _try(client, "alice", PASSWORD).status_code == 302
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("access.sign_in_failed") == 4
    assert "access.sign_in_locked_out" in actions and "access.sign_in_unlocked" in actions


def test_a_successful_sign_in_clears_the_count(client, alice):
    for n in range(4):
        _try(client, "alice", f"guess-{n}")
    assert _try(client, "alice", PASSWORD).status_code == 302
    client.post("/account/logout/")
    again = [_try(client, "alice", f"again-{n}").status_code for n in range(5)]
    assert again == [200, 200, 200, 200, 429]  # counted from zero again, not from four


def test_wrong_password_and_right_password_without_code_read_exactly_the_same(client, alice):
    device = totp_device(alice)
    wrong_password = _try(client, "alice", "not-the-password")
    no_code = _try(client, "alice", PASSWORD)
    wrong_code = _try(client, "alice", PASSWORD, otp_token="000000")
    wrong_both = _try(client, "alice", "not-the-password", otp_token=otp_code(device))

    texts = {_error_text(r) for r in (wrong_password, no_code, wrong_code, wrong_both)}
    assert len(texts) == 1 and texts != {""}
    assert {r.status_code for r in (wrong_password, no_code, wrong_code, wrong_both)} == {200}
    # The code field is on the form every time, for every account.
    assert all('name="otp_token"' in r.content.decode() for r in (wrong_password, no_code))
    assert "_auth_user_id" not in client.session


def test_missing_codes_count_as_failures_so_a_totp_account_locks_too(client, alice):
    device = totp_device(alice)
    for _ in range(5):
        _try(client, "alice", PASSWORD)  # the right password, never a code
    locked = _try(client, "alice", PASSWORD, otp_token=otp_code(device))
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
