"""A task cut off by a database outage is logged in one line; any other failure keeps its
traceback (django_tasks logs every failed task with ``logger.exception``)."""

from __future__ import annotations

import logging

from django.db.utils import OperationalError

LOGGER = logging.getLogger("django_tasks")


def test_a_task_cut_off_by_an_outage_is_one_warning_line(caplog):  # type: ignore[no-untyped-def]
    try:
        raise OperationalError("the database system is shutting down\nDETAIL: more")
    except OperationalError:
        LOGGER.exception("Task id=%s path=%s state=%s", 7, "jitsuin.notify.send", "FAILED")
    (record,) = caplog.records
    assert record.levelname == "WARNING" and record.exc_info is None
    assert record.getMessage() == (
        "Task id=7 path=jitsuin.notify.send state=FAILED "
        "(cut off by a database outage: OperationalError: the database system is shutting down)"
    )


def test_any_other_failure_keeps_its_traceback(caplog):  # type: ignore[no-untyped-def]
    try:
        raise ValueError("a bug")
    except ValueError:
        LOGGER.exception("Task id=%s failed", 8)
    (record,) = caplog.records
    assert record.levelname == "ERROR" and record.exc_info is not None
