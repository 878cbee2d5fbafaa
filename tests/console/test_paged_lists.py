"""The stuck queue and the people search a page at a time (issue 15: their cost grows with the
rows shown, not with the rows that match), each page at a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jitsuin.console.queries import SEARCH_PAGE
from jitsuin.console.row_links import RowLinks
from jitsuin.console.views import STUCK_PAGE_SIZE
from tests.notify import factories
from tests.portal.kept_pages import _page_cache

pytestmark = pytest.mark.django_db

OLD = timedelta(days=20)


def stuck_requests(n):
    """``n`` stuck requests, the oldest first."""
    now = timezone.now()
    return [
        factories.request(factories.person(), at=now - OLD - timedelta(hours=n - i))
        for i in range(n)
    ]


def namesakes(n):
    """``n`` people who share the surname 白山 (uids in order), and one who does not."""
    found = [factories.person(f"s31{i:04d}", name_ja=f"白山 {i}") for i in range(n)]
    factories.person("s3200000", name_ja="立山 一")
    return found


def test_the_stuck_queue_shows_a_page_of_the_oldest_and_the_rest_on_the_next(helpdesk):
    made = stuck_requests(STUCK_PAGE_SIZE + 2)
    first = helpdesk.get(reverse("console:stuck"))
    assert [r.item.pk for r in first.context["rows"]] == [r.pk for r in made[:STUCK_PAGE_SIZE]]
    page = first.content.decode()
    assert 'data-testid="stuck-newer"' in page and "page=2" in page
    assert 'hx-get="/console/requests/stuck/"' in page
    second = helpdesk.get(reverse("console:stuck"), {"page": "2"})
    assert [r.item.pk for r in second.context["rows"]] == [r.pk for r in made[STUCK_PAGE_SIZE:]]
    # The live refresh of page 2 asks for page 2 again; page 1 links back.
    html = second.content.decode()
    assert 'hx-get="/console/requests/stuck/?page=2"' in html
    assert 'data-testid="stuck-older"' in html and 'data-testid="stuck-newer"' not in html


def test_the_live_refresh_of_the_snoozed_list_keeps_its_page(helpdesk):
    stuck_requests(STUCK_PAGE_SIZE + 1)
    html = helpdesk.get(reverse("console:stuck"), {"snoozed": "1", "page": "2"}).content.decode()
    assert 'hx-get="/console/requests/stuck/?snoozed=1&amp;page=2"' in html


def test_a_page_number_out_of_range_shows_the_last_page(helpdesk):
    made = stuck_requests(3)
    rows = helpdesk.get(reverse("console:stuck"), {"page": "9"}).context["rows"]
    assert [r.item.pk for r in rows] == [r.pk for r in made]
    assert helpdesk.get(reverse("console:stuck"), {"page": "x"}).status_code == 200


def test_a_full_stuck_page_costs_the_queries_of_a_short_one(
    helpdesk, django_assert_num_queries, monkeypatch
):
    stuck_requests(1)
    _page_cache(monkeypatch, False)  # rendered on every request
    helpdesk.get(reverse("console:stuck"))  # sessions, permissions: warm
    # session, user, second factor, permissions, the queue, its rows, the maintenance banner
    with django_assert_num_queries(7):
        helpdesk.get(reverse("console:stuck"))
    stuck_requests(STUCK_PAGE_SIZE + 5)
    with django_assert_num_queries(7):
        assert len(helpdesk.get(reverse("console:stuck")).context["rows"]) == STUCK_PAGE_SIZE
    # Kept (jitsuin.console.stuck_kept): the queue and the fingerprint, nothing rendered.
    _page_cache(monkeypatch, True)
    helpdesk.get(reverse("console:stuck"))
    with django_assert_num_queries(6):
        helpdesk.get(reverse("console:stuck"))


def test_the_search_shows_a_page_of_people_and_links_to_the_next(helpdesk):
    found = namesakes(SEARCH_PAGE + 3)
    first = helpdesk.get(reverse("console:people"), {"q": "白山"})
    assert list(first.context["people"]) == found[:SEARCH_PAGE]
    html = first.content.decode()
    assert 'data-testid="people-next"' in html and 'data-testid="people-previous"' not in html
    assert "?q=%E7%99%BD%E5%B1%B1&amp;page=2" in html
    second = helpdesk.get(reverse("console:people"), {"q": "白山", "page": "2"})
    assert list(second.context["people"]) == found[SEARCH_PAGE:]
    html = second.content.decode()
    assert 'data-testid="people-previous"' in html and 'data-testid="people-next"' not in html


def test_one_page_of_matches_has_no_pager_and_a_bad_page_is_the_first(helpdesk):
    found = namesakes(2)
    response = helpdesk.get(reverse("console:people"), {"q": "白山", "page": "0"})
    assert list(response.context["people"]) == found
    assert 'class="pager"' not in response.content.decode()
    response = helpdesk.get(reverse("console:people"), {"q": "白山", "page": "-1"})
    assert list(response.context["people"]) == found


def test_each_person_shows_the_current_certificates_or_else_the_newest(helpdesk, ca_hierarchy):
    (person,) = namesakes(1)
    now = timezone.now()
    factories.certificate(person, at=now - timedelta(days=900), validity=timedelta(days=365))
    html = helpdesk.get(reverse("console:people"), {"q": "白山"}, HTTP_ACCEPT_LANGUAGE="en")
    status = html.content.decode().split(f'data-testid="status-{person.uid}">')[1].split("</td>")[0]
    assert status == "Expired"
    factories.certificate(person, at=now - timedelta(days=10))
    factories.certificate(person, at=now - timedelta(days=5))
    html = helpdesk.get(reverse("console:people"), {"q": "白山"}, HTTP_ACCEPT_LANGUAGE="en")
    status = html.content.decode().split(f'data-testid="status-{person.uid}">')[1].split("</td>")[0]
    assert status == "Valid<br>Valid"


def test_a_full_search_page_costs_the_queries_of_one_match(helpdesk, django_assert_num_queries):
    namesakes(1)
    helpdesk.get(reverse("console:people"), {"q": "白山"})  # sessions, permissions: warm
    with django_assert_num_queries(7):
        helpdesk.get(reverse("console:people"), {"q": "白山"})
    namesakes_more = [factories.person(f"s33{i:04d}", name_ja=f"白山 {i}") for i in range(30)]
    assert namesakes_more
    with django_assert_num_queries(7):
        response = helpdesk.get(reverse("console:people"), {"q": "白山"})
    assert len(response.context["people"]) == SEARCH_PAGE


def test_row_links_are_what_reverse_gives_for_each_id():
    links = RowLinks("console:request", "console:stuck_claim", "console:person")
    for pk in (1, 42, 9876543210):
        assert links(pk) == {
            "request": reverse("console:request", args=[pk]),
            "stuck_claim": reverse("console:stuck_claim", args=[pk]),
            "person": reverse("console:person", args=[pk]),
        }


def test_each_stuck_row_links_to_its_request_person_and_actions(helpdesk):
    (item,) = stuck_requests(1)
    html = helpdesk.get(reverse("console:stuck")).content.decode()
    for url in (
        reverse("console:request", args=[item.pk]),
        reverse("console:person", args=[item.person.pk]),
        reverse("console:stuck_claim", args=[item.pk]),
        reverse("console:stuck_snooze", args=[item.pk]),
    ):
        assert f'href="{url}"' in html or f'action="{url}"' in html, url
