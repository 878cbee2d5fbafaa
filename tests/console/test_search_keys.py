"""The people search finds a person by each key the helpdesk is given: uid, name, e-mail,
serial in hex or in decimal, whole or as a prefix (on SQLite and on PostgreSQL alike)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jitsuin.console.queries import SERIAL_PREFIX_DIGITS, search_people
from jitsuin.lifecycle.models import Certificate
from jitsuin.row_inserts import insert_rows
from tests.notify import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(ca_hierarchy):
    found = factories.person(
        "s2410001", name_ja="能美 花子", name_en="Hanako Nomi", email="hanako.nomi@example.ac.jp"
    )
    factories.person("s2410002", name_ja="加賀 太郎", name_en="Taro Kaga")
    return found, factories.certificate(found, at=timezone.now())


def test_every_certificate_row_keeps_its_serial_in_decimal(holder):
    _person, certificate = holder
    certificate.refresh_from_db()
    assert certificate.serial_decimal == str(int(certificate.serial, 16))
    copy = Certificate.objects.get(pk=certificate.pk)
    copy.pk, copy.serial, copy.fingerprint_sha256 = None, "1f", "0" * 64
    (made,) = Certificate.objects.bulk_create([copy])
    assert Certificate.objects.get(pk=made.pk).serial_decimal == "31"
    again = Certificate.objects.get(pk=certificate.pk)
    again.pk, again.serial, again.fingerprint_sha256 = None, "ff", "1" * 64
    insert_rows([again])  # the pipeline's batches write certificates this way
    assert Certificate.objects.get(pk=again.pk).serial_decimal == "255"


@pytest.mark.parametrize(
    "key",
    ["uid", "uid digits", "name", "name without space", "reading", "e-mail", "e-mail part"],
)
def test_finds_the_holder_by_each_personal_key(holder, key):
    person, _certificate = holder
    query = {
        "uid": person.uid,
        "uid digits": "410001",
        "name": "能美 花子",
        "name without space": "能美花子",
        "reading": "hanako",
        "e-mail": person.email,
        "e-mail part": "NOMI@EXAMPLE",
    }[key]
    assert list(search_people(query)) == [person]


def test_finds_the_holder_by_serial_prefix_in_hex_and_in_decimal(holder):
    person, certificate = holder
    serial = certificate.serial_number
    pairs = serial.hex_pairs.split()
    for query in (
        serial.hex,
        ":".join(pairs),
        ":".join(pairs[:3]),  # the first bytes, as a screen shows them
        " ".join(pairs[:4]).lower(),
        serial.decimal,
        serial.decimal[:SERIAL_PREFIX_DIGITS],
        serial.decimal[:12],
    ):
        assert list(search_people(query)) == [person], query


def test_a_short_serial_matches_only_whole(holder):
    person, certificate = holder
    short = factories.certificate(person, at=timezone.now())
    Certificate.objects.filter(pk=short.pk).update(serial="1f3", serial_decimal="499")
    assert list(search_people("1f3")) == [person]
    assert list(search_people("499")) == [person]
    # Five digits of a long serial are not enough to find it.
    assert list(search_people(certificate.serial_number.decimal[:5])) == []


def test_the_console_page_finds_by_serial_prefix(helpdesk, holder):
    person, certificate = holder
    prefix = ":".join(certificate.serial_number.hex_pairs.split()[:4])
    response = helpdesk.get(reverse("console:people"), {"q": prefix})
    assert list(response.context["people"]) == [person]
    assert person.uid in response.content.decode()


def test_a_serial_search_costs_one_query_more_than_a_name_search(
    helpdesk, holder, django_assert_num_queries
):
    _person, certificate = holder
    helpdesk.get(reverse("console:people"), {"q": "能美"})  # sessions, permissions: warm
    # session, user, second factor, permissions (own and groups' in one), the maintenance
    # banner, the people, their certificates (plain values)
    with django_assert_num_queries(7):
        helpdesk.get(reverse("console:people"), {"q": "能美"})
    with django_assert_num_queries(8):  # the holders of the serial, then the people
        helpdesk.get(reverse("console:people"), {"q": certificate.serial_number.decimal[:8]})


def test_postgresql_samples_the_names_widely_enough_to_plan_a_name_search():
    """A full name shared by a few hundred people among 300,000 was planned as thousands, and
    the search walked the uid index past tens of thousands of rows (console migration 0006)."""
    if connection.vendor != "postgresql":
        pytest.skip("statistics targets are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'lifecycle_person'::regclass AND attname = 'name_search'"
        )
        assert cursor.fetchone()[0] == 1000


@pytest.mark.parametrize(
    "query",
    ["hanako.nomi@example.ac.jp", "HANAKO.NOMI@EXAMPLE.AC.JP", "nomi@example", "ko.nomi@ex"],
)
def test_an_address_or_a_part_with_its_at_sign_finds_the_holder(holder, query):
    person, _certificate = holder
    assert list(search_people(query)) == [person]


def test_an_address_matches_whole_not_by_its_part_before_the_at_sign(holder):
    """The search narrows by ``hanako.nomi@`` and then checks the whole text."""
    person, _certificate = holder
    other = factories.person("s2410003", email="hanako.nomi@other.example.jp")
    assert list(search_people("hanako.nomi@example.ac.jp")) == [person]
    assert list(search_people("hanako.nomi@")) == [person, other]
    assert list(search_people("o.nomi@other")) == [other]
    assert list(search_people("nomi@%")) == []  # a LIKE wildcard is a character here too
