"""Console pages that read: dashboard, people, a person's history, a request, stuck requests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.timezone import localtime

from jitsuin import kept_pages
from jitsuin.authorities.publishing import relying_parties
from jitsuin.console import queries, stats, stuck_kept
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.campaigns.cards import running_campaign_cards
from jitsuin.console.campaigns.person import person_campaigns
from jitsuin.console.forms import ExceptionForm, KeyedReasonForm, ReasonForm, RevokeForm
from jitsuin.console.roles import RELYING_PARTIES, VIEW_PEOPLE, perm
from jitsuin.console.row_links import RowLinks
from jitsuin.console.search_cells import CertificateCells
from jitsuin.console.stuck_actions import SnoozeForm
from jitsuin.console.stuck_queue import QueueEntry, stuck_entries, stuck_rows
from jitsuin.lifecycle import overlap, transitions
from jitsuin.lifecycle.interventions import at_upstream
from jitsuin.lifecycle.issuers import issuer_revocation
from jitsuin.lifecycle.leavers import latest_leaver
from jitsuin.lifecycle.models import (
    CertificateStatus,
    Person,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.lifecycle.queries import stuck_business_days
from jitsuin.onboarding.health import onboarding_health
from jitsuin.sightings.services import last_wifi_use
from jitsuin.workdays import business_days_between


@console_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    board = stats.dashboard(now)
    rows = []
    for state in RequestState:
        counts = [board.by_state.get(kind, {}).get(state.value, 0) for kind in RequestKind.values]
        if any(counts):
            rows.append((state.label, counts))
    context = {
        "board": board,
        "campaign_cards": running_campaign_cards(request.user, now=now),
        "state_rows": rows,
        "kinds": RequestKind.choices,
        # What the stuck queue shows: snoozed rows and retried ones that moved on left out.
        "stuck_count": sum(not e.snoozed for e in stuck_entries(now, stuck_business_days())),
        "stuck_days": stuck_business_days(),
        "chart_width": len(board.per_day) * 30,
        # The /healthz warning while Wi-Fi profiles are off (docs/onboarding.md).
        "onboarding": onboarding_health()[1],
        # RADIUS and VPN servers whose agent is behind (the relying-party page says why).
        "relying_parties_behind": sum(not s.ok for s in relying_parties.states(now=now))
        if request.user.has_perm(perm(RELYING_PARTIES))
        else 0,
        "oldest_age_days": business_days_between(board.oldest_open.created_at, now)
        if board.oldest_open
        else None,
    }
    return render(request, "console/dashboard.html", context)


@console_view(VIEW_PEOPLE)
def people(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:200]
    number = _page_number(request.GET.get("page"))
    found: list[Person] = []
    if text:
        start = (number - 1) * queries.SEARCH_PAGE
        # One more than a page: whether there is a next one, without counting every match.
        found = list(queries.search_people(text)[start : start + queries.SEARCH_PAGE + 1])
    more = len(found) > queries.SEARCH_PAGE
    found = found[: queries.SEARCH_PAGE]
    shown = queries.shown_certificates(found, timezone.now())
    person_link = RowLinks("console:person")
    cells = CertificateCells()
    for person in found:
        person.status_cell = cells.status(shown[person.pk])  # type: ignore[attr-defined]
        person.issuer_cell = cells.issuers(shown[person.pk])  # type: ignore[attr-defined]
        person.console_url = person_link(person.pk)["person"]  # type: ignore[attr-defined]
    context = {
        "q": text,
        "people": found,
        "page_number": number,
        "previous_page": number - 1 if number > 1 else None,
        "next_page": number + 1 if more else None,
    }
    return render(request, "console/people.html", context)


def _page_number(value: str | None) -> int:
    """``?page=`` as a page number from 1; anything else is the first page."""
    return int(value) if value and value.isdigit() and 0 < int(value) < 10_000 else 1


def _certificate_rows(history: queries.PersonHistory, now: datetime) -> list[dict[str, object]]:
    open_revocations = {
        r.target_id for r in history.requests if r.kind == RequestKind.REVOKE and r.is_open
    }
    switches = overlap.switches(history.certificates, now)
    wifi = last_wifi_use(history.certificates)
    rows = []
    for certificate in history.certificates:
        revocable = (
            certificate.status == CertificateStatus.VALID
            and certificate.not_after > now
            and certificate.pk not in open_revocations
        )
        ca_revocation = issuer_revocation(certificate.issuer)
        issuer_revoked = ca_revocation is not None and ca_revocation.effective(now)
        rows.append(
            {
                "certificate": certificate,
                "serial_hex": certificate.serial_number.hex,
                "serial_dec": certificate.serial_number.decimal,
                "expired": certificate.not_after <= now,
                "revoking": certificate.pk in open_revocations,
                "revocable": revocable,
                "issuer_revoked": issuer_revoked,
                "stops_at": ca_revocation.at if ca_revocation and not issuer_revoked else None,
                "switch": switches.get(certificate.pk),
                "wifi": wifi.get(certificate.pk),
            }
        )
    return rows


def request_actions(item: Request) -> dict[str, bool]:
    """What the request page and the person page offer for ``item``."""
    return {
        "can_retry": transitions.can(item, RequestState.QUEUED) or at_upstream(item),
        "can_repoll": at_upstream(item),
        "can_cancel": transitions.can(item, RequestState.CANCELLED),
    }


@console_view(VIEW_PEOPLE)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_id)
    now = timezone.now()
    history = queries.person_history(person)
    context = {
        "person": person,
        "history": history,
        "certificate_rows": _certificate_rows(history, now),
        "request_rows": [(r, request_actions(r)) for r in history.requests],
        "exceptions": person.policy_exceptions.select_related("profile"),
        "has_expired_pickup": any(
            r.kind == RequestKind.ISSUE and r.state == RequestState.EXPIRED
            for r in history.requests
        ),
        "reason_form": ReasonForm(),
        "revoke_form": RevokeForm(),
        "anew_form": KeyedReasonForm(),
        "exception_form": ExceptionForm(),
        "campaigns": person_campaigns(person, now),
        "leaver": latest_leaver(person),
    }
    return render(request, "console/person.html", context)


@console_view(VIEW_PEOPLE)
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    item = get_object_or_404(
        Request.objects.select_related("person", "profile", "target", "certificate"), pk=request_id
    )
    now = timezone.now()
    context = {
        "item": item,
        "actions": request_actions(item),
        "transitions": item.transitions.order_by("at", "id"),
        "business_days": business_days_between(item.created_at, now),
        "reason_form": ReasonForm(),
    }
    # htmx polls the live part while the request is open.
    template = "console/_request_live.html" if request.htmx else "console/request.html"
    return render(request, template, context)


# Rows of the stuck queue per page: what an operator works through before reloading; the
# page's cost grows with its rows (forms and actions for each), the queue's does not.
STUCK_PAGE_SIZE = 25


@console_view(VIEW_PEOPLE)
def stuck(request: HttpRequest) -> HttpResponse:
    """The stuck queue, oldest first, a page at a time; snoozed rows only with ``?snoozed=1``.
    Served again from its last render while nothing it shows changed (``stuck_kept``)."""
    now = timezone.now()
    show_snoozed = request.GET.get("snoozed") == "1"
    days = stuck_business_days()
    # The whole queue as light entries (the counts, the pages); full rows for the page only.
    entries = stuck_entries(now, days)
    page = Paginator(
        [e for e in entries if show_snoozed or not e.snoozed], STUCK_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    shown = list(page.object_list)

    def fresh(extra: dict[str, str]) -> HttpResponse:
        context = _stuck_context(request, now, shown, entries, page, show_snoozed, days)
        template = "console/_stuck_live.html" if request.htmx else "console/stuck.html"
        return render(request, template, context | extra)

    # What the page says anew on every serve, kept or not: when it was brought up to date.
    updated_at = format_html(
        '<time datetime="{}">{}</time>', now.isoformat(), date_format(localtime(now), "H:i:s")
    )
    return kept_pages.serve(
        request,
        now,
        lambda: stuck_kept.fingerprint(request, entries, [e.pk for e in shown], now),
        fresh,
        namespace="console-stuck",
        anew={"updated_at": updated_at},
    )


def _stuck_context(
    request: HttpRequest,
    now: datetime,
    shown: list[QueueEntry],
    entries: list[QueueEntry],
    page: Page,
    show_snoozed: bool,
    days: int,
) -> dict[str, object]:
    """What the stuck queue's template shows: the ``shown`` page of ``entries`` as rows."""
    rows = stuck_rows(shown, now)
    request_links = RowLinks(
        "console:request", "console:stuck_claim", "console:stuck_release", "console:repoll",
        "console:retry", "console:cancel", "console:stuck_wake", "console:stuck_snooze",
    )  # fmt: skip
    person_link = RowLinks("console:person")
    for row in rows:
        row.links = request_links(row.item.pk)
        row.person_url = person_link(row.item.person_id)["person"]
    return {
        "rows": rows,
        "page": page,
        "snoozed_count": sum(e.snoozed for e in entries),
        "show_snoozed": show_snoozed,
        "filter_query": "snoozed=1" if show_snoozed else "",
        # What the live refresh asks for: this filter and this page.
        "live_query": urlencode(
            ({"snoozed": "1"} if show_snoozed else {})
            | ({"page": page.number} if page.number > 1 else {})
        ),
        "me": staff_actor(request),
        "days": days,
        "snooze_form": SnoozeForm(initial={"until": now + timedelta(hours=4)}),
        "now": now,
    }
