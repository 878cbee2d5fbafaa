"""Shared bits of the lifecycle commands (user, issue, revoke, requests, request)."""

from __future__ import annotations

import getpass

from django.core.management.base import CommandError

from jitsuin.config import parse_duration
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Person, Request


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


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


def timeout(text: str):  # type: ignore[no-untyped-def]
    try:
        return parse_duration(text, name="--timeout")
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def fail(exc: LifecycleError) -> CommandError:
    return CommandError(f"{exc.message} [{exc.code}]")


def describe(r: Request) -> str:
    line = f"request #{r.pk}: {r.kind} {r.state}"
    if r.wait_reason:
        line += f" ({r.wait_reason}"
        line += f" until {r.not_before:%Y-%m-%d %H:%M:%S %Z})" if r.not_before else ")"
    if r.last_error:
        line += f"; last error: {r.last_error}"
    return line
