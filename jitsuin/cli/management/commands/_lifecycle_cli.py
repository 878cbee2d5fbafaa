"""Shared bits of the lifecycle commands (user, issue, revoke, requests, request)."""

from __future__ import annotations

import getpass
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from jitsuin.audit.actors import Actor
from jitsuin.config import parse_duration
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Person, Request, RequestState


def cli_actor() -> str:
    try:
        return str(Actor.cli(getpass.getuser()))
    except (KeyError, OSError):
        return str(Actor.cli())


def person(uid: str) -> Person:
    found = Person.objects.filter(uid=uid).first()
    if found is None:
        raise CommandError(f"no person with uid {uid!r} (add one with `jitsuin user add`)")
    return found


def request(request_id: int) -> Request:
    found = Request.objects.select_related("person", "profile").filter(pk=request_id).first()
    if found is None:
        raise CommandError(f"no request #{request_id}")
    return found


def timeout(text: str) -> timedelta:
    try:
        return parse_duration(text, name="--timeout")
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def fail(exc: LifecycleError) -> CommandError:
    return CommandError(f"{exc.message} [{exc.code}]")


def local(value: datetime) -> str:
    """``2026-12-03 19:23:00 +0900``: the configured zone (TIME_ZONE), offset shown."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %z")


def describe(r: Request) -> str:
    line = f"request #{r.pk}: {r.kind} {r.state}"
    if r.wait_reason:
        line += f" ({r.wait_reason}"
        line += f" until {local(r.not_before)})" if r.not_before else ")"
    if r.last_error:
        line += f"; last error: {r.last_error}"
    return line


def add_listing_arguments(parser: CommandParser) -> None:
    parser.add_argument("--state", default="", choices=["", *RequestState.values])
    parser.add_argument("--user", default="")
    parser.add_argument("--limit", type=int, default=50)


def listing(options: dict[str, Any]) -> list[str]:
    """The requests table, newest first, filtered by ``--state`` and ``--user``."""
    requests = Request.objects.select_related("person", "profile").order_by("-created_at", "-pk")
    if options["state"]:
        requests = requests.filter(state=options["state"])
    if options["user"]:
        requests = requests.filter(person__uid=options["user"])
    return table(list(requests[: options["limit"]]))


def table(requests: list[Request]) -> list[str]:
    rows = [("ID", "KIND", "STATE", "USER", "PROFILE", "CHANGED", "ATTEMPTS", "NOTE")]
    for r in requests:
        note = r.wait_reason or (r.last_error[:40] if r.last_error else "")
        changed = timezone.localtime(r.state_changed_at).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(
            (
                str(r.pk),
                r.kind,
                r.state,
                r.person.uid,
                r.profile.slug,
                changed,
                str(r.attempts),
                note,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
