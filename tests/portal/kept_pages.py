"""Helpers of the kept-page tests (jitsuin.kept_pages: the portal's pages, the console's stuck
queue): a controlled clock, and the page served with the cache on compared with a fresh render
of the same moment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jitsuin import config

_TOKEN = re.compile(rb"[A-Za-z0-9]{64}")


class Clock:
    """``timezone.now`` under the test's control: scheduled moments arrive without sleeping."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _page_cache(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    monkeypatch.setenv("JITSUIN_PAGE_CACHE", "on" if on else "off")
    config.current.cache_clear()


def _masked(content: bytes) -> bytes:
    """The page without its CSRF token (masked anew on each serve, whatever the cache)."""
    return _TOKEN.sub(b"<csrf>", content)


class Pages:
    """The page served with the cache on, then a fresh render of the same moment (cache off)."""

    def __init__(self, client, monkeypatch, home="/", hit_queries=4) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.home = home
        # A serve of the kept page costs at most this many queries (session, user, ..., the
        # fingerprint); a render costs more.
        self.hit_queries = hit_queries
        self.monkeypatch = monkeypatch
        self.previous = b""
        self.hits = 0
        self.also: list[str] = []  # other pages checked alike (a certificate's)

    def served(self, path: str | None = None) -> bytes:
        path = path or self.home
        _page_cache(self.monkeypatch, True)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(path)
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        if len(queries) <= self.hit_queries:
            self.hits += 1
        return response.content

    def fresh(self, path: str | None = None) -> bytes:
        path = path or self.home
        _page_cache(self.monkeypatch, False)
        response = self.client.get(path)
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        return response.content

    def check(self, step: str, *, changed: bool = True) -> bytes:
        """After ``step``: what is served equals a fresh render (the home page, and every page
        of ``also``), and the home page differs from before."""
        for path in self.also:
            self._same(path, step)
        served = self._same(self.home, step)
        if changed:
            assert _masked(served) != self.previous, f"{step}: the page did not change"
        self.previous = _masked(served)
        return served

    def _same(self, path: str, step: str) -> bytes:
        served = self.served(path)
        fresh = self.fresh(path)
        assert _masked(served) == _masked(fresh), f"{step}: {path}"
        # Kept now: served again, still the same, without rendering.
        hits = self.hits
        assert _masked(self.served(path)) == _masked(fresh), f"{step}: {path}"
        assert self.hits == hits + 1, f"{step}: {path} not served from the cache"
        return served
