"""Finding people and assembling a person's whole history for the helpdesk."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Certificate, Person, Pickup, Request, RequestTransition
from jitsuin.lifecycle.people import kana_reading
from jitsuin.notify.models import OutboxMessage
from jitsuin.pki.names import Serial

SEARCH_LIMIT = 50


def _serial_candidates(text: str) -> set[str]:
    """Read the query as a hex serial, and as a decimal one when it is all digits."""
    cleaned = text.strip().replace(":", "").replace(" ", "")
    found = set()
    try:
        found.add(Serial.parse(cleaned).db)
    except ValueError:
        pass
    if cleaned.isdigit() and len(cleaned) <= 60:
        found.add(Serial(int(cleaned)).db)
    return found


def normalized(text: str) -> str:
    """The query the way it was meant: NFKC (full-width ``ｓ０００３`` is ``s0003``, the IME's
    full-width space a space), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def name_key(text: str) -> str:
    """A name as ``Person.name_search`` holds it: lower case, no spaces of any width."""
    return "".join(normalized(text).lower().split())


def search_people(text: str) -> QuerySet[Person]:
    """People whose uid, name, reading or e-mail contains ``text``, or who hold that serial.

    The query is NFKC-normalized; names match with spaces ignored (``高橋美咲``, ``高橋　美咲``
    and ``高橋 美咲`` are one name) through the generated column ``Person.name_search``; a
    reading matches in hiragana, katakana or half-width kana (``たかはし``, ``ﾀｶﾊｼ``).
    Each person comes with ``found_certificates`` (newest first, with the issuer).
    """
    text = normalized(text)
    if not text:
        return Person.objects.none()
    match = Q(uid__icontains=text) | Q(email__icontains=text)
    key = name_key(text)
    if key:
        match |= Q(name_search__contains=key)
        reading = kana_reading(key)
        if reading != key:
            match |= Q(name_search__contains=reading)
    serials = _serial_candidates(text)
    if serials:
        match |= Q(certificates__serial__in=serials)
    certificates = Certificate.objects.select_related("issuer").order_by("-not_before")
    return (
        Person.objects.filter(match)
        .distinct()
        .order_by("uid")
        .prefetch_related(Prefetch("certificates", certificates, to_attr="found_certificates"))[
            :SEARCH_LIMIT
        ]
    )


@dataclass(frozen=True)
class PersonHistory:
    person: Person
    certificates: list[Certificate]
    requests: list[Request]
    pickups: list[Pickup]
    messages: list[OutboxMessage]
    events: list[AuditEvent]


def _events_for(refs: list[tuple[str, list[Any]]], limit: int) -> list[AuditEvent]:
    match = Q(pk__in=[])
    for object_type, ids in refs:
        if ids:
            match |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    return list(AuditEvent.objects.filter(match).order_by("-id")[:limit])


def person_history(person: Person, *, event_limit: int = 200) -> PersonHistory:
    certificates = list(
        person.certificates.select_related("issuer__parent", "profile").order_by("-not_before")
    )
    requests = list(
        person.requests.select_related("profile", "target", "certificate")
        .prefetch_related(
            Prefetch("transitions", queryset=RequestTransition.objects.order_by("at", "id"))
        )
        .order_by("-created_at")
    )
    pickups = list(Pickup.objects.filter(request__person=person).select_related("certificate"))
    messages = list(person.messages.order_by("-created_at")[:100])
    events = _events_for(
        [
            ("lifecycle.person", [person.pk]),
            ("lifecycle.request", [r.pk for r in requests]),
            ("lifecycle.certificate", [c.pk for c in certificates]),
            ("lifecycle.pickup", [p.pk for p in pickups]),
            (
                "lifecycle.policyexception",
                list(person.policy_exceptions.values_list("pk", flat=True)),
            ),
            ("notify.outboxmessage", [m.pk for m in messages]),
        ],
        event_limit,
    )
    return PersonHistory(person, certificates, requests, pickups, messages, events)
