"""People search the way Japanese staff type (issue 13, operator walk finding 7): NFKC, and
half- or full-width spaces ignored in names; results show certificate status and issuer."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from jitsuin.console.queries import name_key, search_people
from jitsuin.lifecycle.models import Person
from tests.notify import factories

pytestmark = pytest.mark.django_db

SPELLINGS = ["高橋美咲", "高橋　美咲", "高橋 美咲"]


@pytest.fixture
def takahashis():
    """The same name stored with a space and without one (identity sources do both)."""
    spaced = factories.person("s0004", name_ja="高橋 美咲", name_en="Misaki Takahashi")
    joined = factories.person("s0014", name_ja="高橋美咲", name_en="")
    factories.person("s0005", name_ja="高橋 健", name_en="Ken Takahashi")
    return [spaced, joined]


@pytest.mark.parametrize("query", SPELLINGS)
def test_a_name_is_found_however_the_space_is_typed(takahashis, query):
    assert list(search_people(query)) == takahashis


def test_the_exact_queries_of_the_walk(helpdesk, takahashis):
    for query in ("高橋美咲", "高橋　美咲"):
        response = helpdesk.get(reverse("console:people"), {"q": query})
        assert list(response.context["people"]) == takahashis, query


def test_a_full_width_uid_is_found(helpdesk):
    wanted = factories.person("s0003")
    factories.person("s00030")
    factories.person("s0004")
    response = helpdesk.get(reverse("console:people"), {"q": "ｓ０００３"})
    assert [p.uid for p in response.context["people"]] == ["s0003", "s00030"]
    assert list(search_people("Ｓ０００３")) == [wanted, Person.objects.get(uid="s00030")]


def test_english_names_ignore_spaces_and_case_too(takahashis):
    assert list(search_people("misaki takahashi")) == takahashis[:1]
    assert list(search_people("ＭＩＳＡＫＩ　ＴＡＫＡＨＡＳＨＩ")) == takahashis[:1]
    assert name_key(" 高橋　美咲 ") == "高橋美咲"


def test_the_search_column_follows_every_write():
    """The database computes it: bulk writes and updates that skip save() are covered."""
    Person.objects.bulk_create(
        [Person(uid="k0001", email="k0001@example.ac.jp", name_ja="佐藤　花子")]
    )
    assert [p.uid for p in search_people("佐藤花子")] == ["k0001"]
    Person.objects.filter(uid="k0001").update(name_ja="鈴木 花子")
    assert not search_people("佐藤花子").exists()
    assert [p.uid for p in search_people("鈴木　花子")] == ["k0001"]


def test_results_show_certificate_status_and_issuer(helpdesk, ca_hierarchy):
    holder = factories.person("s0003", name_ja="高橋 美咲")
    certificate = factories.certificate(holder, at=timezone.now())
    factories.person("s0013", name_ja="高橋 美咲")  # no certificate
    helpdesk.cookies["jitsuin_lang"] = "ja"
    page = helpdesk.get(reverse("console:people"), {"q": "高橋美咲"}).content.decode()
    assert "証明書の状態" in page and "発行者" in page
    status = page.split('data-testid="status-s0003">')[1].split("</td>")[0]
    issuer = page.split('data-testid="issuer-s0003">')[1].split("</td>")[0]
    assert status == "有効" and issuer == certificate.issuer.name
    assert "証明書なし" in page.split('data-testid="status-s0013">')[1].split("</td>")[0]


@pytest.fixture
def with_reading():
    person = factories.person("s0021", name_ja="東海林 さだお", name_en="Sadao Shoji")
    Person.objects.filter(pk=person.pk).update(name_kana="ショウジ サダオ")
    factories.person("s0022", name_ja="庄司 健", name_en="Ken Shoji")
    return person


@pytest.mark.parametrize(
    "query", ["しょうじ", "ショウジ", "ｼｮｳｼﾞ", "しょうじ　さだお", "ショウジサダオ"]
)
def test_a_reading_is_found_in_hiragana_katakana_or_half_width(with_reading, query):
    assert list(search_people(query)) == [with_reading]


def test_a_hiragana_name_is_still_found_as_typed():
    person = factories.person("s0023", name_ja="高橋 みさき")
    assert list(search_people("みさき")) == [person]


def test_the_reading_is_stored_in_katakana_and_kept_up_to_date_by_the_directory():
    from jitsuin.lifecycle.people import add_person, update_person

    person = add_person("s0024", email="s0024@example.ac.jp", actor="test", name_kana="ｻﾄｳ")
    assert person.name_kana == "サトウ"
    assert update_person(person, actor="test", name_kana="さいとう") == ["name_kana"]
    person.refresh_from_db()
    assert person.name_kana == "サイトウ"
    assert list(search_people("サイトウ")) == [person]


def test_the_people_page_shows_the_reading(helpdesk, with_reading):
    response = helpdesk.get(reverse("console:people"), {"q": "しょうじ"})
    assert "ショウジ サダオ" in response.content.decode()
