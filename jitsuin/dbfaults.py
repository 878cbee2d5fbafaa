"""The web side during a database restart: reconnect quietly, or say 503 with Retry-After.

Django's CONN_HEALTH_CHECKS (set in settings) check a persistent connection on its first
use in a request; but when that first use is inside ``transaction.atomic()`` (a service
call, a locking read), the failed check can only mark the connection closed and the
statement fails anyway: one 500 per thread after every restart. The middleware below runs
the health check before anything else touches the database, outside any transaction.
A request that still meets a dead database (it is restarting) gets a bilingual 503 page
with Retry-After from ``server_error`` (the 500 handler), never a bare 500.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import DatabaseError, connections
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 5


def in_one_line(exc: BaseException) -> str:
    """``Type: first line of the message``: how an outage is logged (never a traceback)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


class DatabaseHealthCheck:
    """Drop a persistent connection the server closed before the request can use it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        drop_dead_connections()
        return self.get_response(request)


def drop_dead_connections() -> None:
    """Replace a kept connection that a database restart killed (outside a transaction): the
    next query opens a new one instead of failing."""
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue
        try:
            conn.close_if_health_check_failed()
        except DatabaseError:
            conn.connection = None


def database_unavailable(request: HttpRequest | None = None) -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that is away is a 503 with Retry-After; anything else a 500."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        return database_unavailable(request)
    return django_server_error(request)


class OutageInOneLine(logging.Filter):
    """django_tasks logs a failed task with its traceback. A task cut off by a database outage
    is no bug: log it in one line (the worker says when an outage it meets begins and ends)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OperationalError | InterfaceError):
            cause = in_one_line(error)
            record.msg = f"{record.getMessage()} (cut off by a database outage: {cause})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
