"""Sign-in, one-time code and enrolment forms: errors tied to their fields, alerts that keep
the list semantics, every aria-describedby naming an element that exists, and the optional
one-time code folded away for the many who have none."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from tests.staff_fixtures import PASSWORD, sign_in, staff, totp_device

pytestmark = pytest.mark.django_db


def dangling_descriptions(page: str) -> list[str]:
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    wanted = [i for v in re.findall(r'aria-describedby="([^"]+)"', page) for i in v.split()]
    return [i for i in wanted if i not in ids]


def test_the_one_time_code_is_folded_away_and_described(client):
    page = client.get("/account/login/").content.decode()
    assert '<details class="otp" id="otp">' in page  # closed
    assert "ワンタイムパスワードを設定している方" in page
    assert 'name="otp_token"' in page
    assert 'aria-describedby="id_otp_token_helptext"' in page
    assert dangling_descriptions(page) == []


def test_a_typed_code_keeps_the_fold_open(client):
    get_user_model().objects.create_user(username="alice", password=PASSWORD)
    form = {"username": "alice", "password": "wrong", "otp_token": "123456"}
    page = client.post("/account/login/", form).content.decode()
    assert '<details class="otp" id="otp" open>' in page


def test_sign_in_errors_are_an_alert_around_a_list(client):
    get_user_model().objects.create_user(username="alice", password=PASSWORD)
    page = client.post("/account/login/", {"username": "alice", "password": "x"}).content.decode()
    assert re.search(r'<div class="form-errors" role="alert"[^>]*>\s*<ul class="errorlist', page)
    assert not re.search(r"<ul[^>]*role=", page)
    assert dangling_descriptions(page) == []


def test_a_field_error_is_tied_to_its_field(client):
    page = client.post("/account/login/", {"username": "", "password": ""}).content.decode()
    field = re.search(r'<input[^>]*name="username"[^>]*>', page)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert "id_username_error" in field.group(0)
    assert 'id="id_username_error"' in page
    assert dangling_descriptions(page) == []


def test_a_wrong_one_time_code_is_tied_to_its_field():
    user = staff("hd", "helpdesk")
    totp_device(user)
    client = sign_in(user, verified=False)
    page = client.post("/account/totp/", {"token": "000000"}).content.decode()
    field = re.search(r'<input[^>]*name="token"[^>]*>', page)
    assert field is not None and 'aria-invalid="true"' in field.group(0)
    assert '<div class="field-errors" role="alert">' in page
    assert not re.search(r"<ul[^>]*role=", page)
    assert dangling_descriptions(page) == []
