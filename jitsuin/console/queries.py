"""Finding people and assembling a person's whole history for the helpdesk."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Certificate, Person, Pickup, Request, RequestTransition
from jitsuin.lifecycle.people import kana_reading
from jitsuin.notify.models import OutboxMessage
from jitsuin.pki.names import Serial

# People per page of the search: what an operator reads before typing more of the name; a
# common surname (thousands of namesakes) is paged, not listed whole.
SEARCH_PAGE = 25
# How many holders of a matching serial prefix are looked at (a prefix of 6 digits is
# shared by a few certificates among millions).
SERIAL_HOLDERS = 200


# From this many digits on, a serial in the query is a prefix (what people copy from a screen
# that shows the first bytes); shorter ones match whole serials only.
SERIAL_PREFIX_DIGITS = 6


def _serial_match(text: str) -> Q | None:
    """Certificates whose serial, read as hex or (all digits) as decimal, is or starts with
    ``text``; None when ``text`` cannot be a serial. Each arm is one index's range scan on
    PostgreSQL (lifecycle migration 0013)."""
    cleaned = text.strip().replace(":", "").replace(" ", "")
    match = Q(pk__in=[])
    try:
        hex_digits = Serial.parse(cleaned).db
    except ValueError:
        hex_digits = ""
    if hex_digits:
        typed = len(cleaned.lower().removeprefix("0x"))  # "0A:1B:2C" is three bytes typed
        match |= (
            Q(serial__startswith=hex_digits)
            if typed >= SERIAL_PREFIX_DIGITS
            else Q(serial=hex_digits)
        )
    if cleaned.isdigit() and len(cleaned) <= 60:
        digits = cleaned.lstrip("0") or "0"
        match |= (
            Q(serial_decimal__startswith=digits)
            if len(digits) >= SERIAL_PREFIX_DIGITS
            else Q(serial=Serial(int(digits)).db)
        )
    return match if hex_digits or cleaned.isdigit() else None


def _email_contains(text: str) -> Q:
    """``email__icontains=text``, written so that PostgreSQL's trigram index is asked only for
    the part before the ``@`` (``…kondo.1234@``): the domain's trigrams are in every address,
    and matching all of them made a whole-address search read every row's entry in the index
    (37 ms at 300,000 people; 5 ms so). The whole text is then checked on the rows found:
    an address that contains ``text`` contains the part up to its ``@``, so the rows are the
    same."""
    local, at, _domain = text.partition("@")
    if not at or len(local) < 3:  # fewer than 3 characters make no trigram to narrow by
        return Q(email__icontains=text)
    return Q(email__icontains=local + at) & Q(
        GreaterThan(StrIndex(Upper("email"), Upper(Value(text))), 0)
    )


def normalized(text: str) -> str:
    """The query the way it was meant: NFKC (full-width ``ｓ０００３`` is ``s0003``, the IME's
    full-width space a space), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def name_key(text: str) -> str:
    """A name as ``Person.name_search`` holds it: lower case, no spaces of any width."""
    return "".join(normalized(text).lower().split())


def search_people(text: str) -> QuerySet[Person]:
    """People whose uid, name, reading or e-mail contains ``text``, or who hold a certificate
    whose serial is ``text`` or, from ``SERIAL_PREFIX_DIGITS`` digits on, starts with it (in
    hex, and in decimal when ``text`` is all digits).

    The query is NFKC-normalized; names match with spaces ignored (``高橋美咲``, ``高橋　美咲``
    and ``高橋 美咲`` are one name) through the generated column ``Person.name_search``; a
    reading matches in hiragana, katakana or half-width kana (``たかはし``, ``ﾀｶﾊｼ``).
    Ordered by uid; the caller takes a page of it (``shown_certificates`` gives what the list
    shows of each person's certificates).
    """
    text = normalized(text)
    if not text:
        return Person.objects.none()
    match = Q(uid__icontains=text) | _email_contains(text)
    key = name_key(text)
    if key:
        match |= Q(name_search__contains=key)
        reading = kana_reading(key)
        if reading != key:
            match |= Q(name_search__contains=reading)
    serials = _serial_match(text)
    if serials is not None:
        # The holders first, so that the people's query stays on one table: a union of
        # index scans for a rare text, a walk along the uid index for a common one.
        holders = Certificate.objects.filter(serials).order_by().values_list("person_id", flat=True)
        match |= Q(pk__in=list(holders.distinct()[:SERIAL_HOLDERS]))
    return (
        Person.objects.filter(match)
        .only("uid", "email", "name_ja", "name_en", "name_kana", "affiliation", "active")
        .order_by("uid")
    )


# (status, expired, issuer's name): a row of the result list's certificate columns.
ShownCertificate = tuple[str, bool, str]


def shown_certificates(people: list[Person], now: datetime) -> dict[int, list[ShownCertificate]]:
    """For each of ``people``, the certificates still in their validity period, newest first,
    or else the newest one; each with whether it has expired. One query of plain values (the
    list shows neither the DER nor anything else of the certificate)."""
    if not people:  # the search form before a search: not even the query's compilation
        return {}
    by_person: dict[int, list[tuple[str, datetime, str]]] = {p.pk: [] for p in people}
    rows = (
        Certificate.objects.filter(person__in=list(by_person))
        .order_by("-not_before")
        .values_list("person_id", "status", "not_after", "issuer__name")
    )
    for person_id, status, not_after, issuer in rows:
        by_person[person_id].append((status, not_after, issuer))
    shown = {}
    for person_id, certificates in by_person.items():
        current = [c for c in certificates if c[1] > now]
        shown[person_id] = [
            (status, not_after <= now, issuer)
            for status, not_after, issuer in current or certificates[:1]
        ]
    return shown


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
