"""A page that meets the database away answers a bilingual 503 with Retry-After, not a 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client


@pytest.fixture
def database_away(transactional_db):  # type: ignore[no-untyped-def]
    """Point the default connection at a database that is not there, then restore it."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/dir/jitsuin.sqlite3"
    else:
        connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", 1
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_a_page_that_meets_the_database_away_is_a_503_with_retry_after(database_away, settings):
    settings.DEBUG = False
    answer = Client(raise_request_exception=False).get("/ca/bundle.pem")
    assert answer.status_code == 503
    assert answer["Retry-After"].isdigit()
    body = answer.content.decode()
    assert "Temporarily unavailable" in body and "一時的にご利用いただけません" in body
