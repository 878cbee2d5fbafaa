"""Every console and API URL, every role: who gets in, who is refused.

The table below is the specification. ``test_every_console_and_api_url_has_a_row`` walks the
project's URL resolver, so a new page or action under /console/ or /api/ fails the suite
until someone writes down who may use it. Rows are built with ``page``, ``form``,
``action`` and ``public``; the role sets come from the console's permission table
(docs/console.md), written out here on purpose so that a widened role shows up as a failure.

Each request runs in a savepoint that is rolled back, so one role's action (starting a
campaign, activating a CA) does not change what the next role sees. For a role that passes
the guard, an action only has to be let through (``ALLOWED``: not refused, not an error);
the feature tests check what the action does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from jitsuin.authorities.services import create_intermediate
from jitsuin.campaigns import services as campaign_services
from jitsuin.console import services as console_services
from jitsuin.lifecycle.models import PolicyException
from jitsuin.lifecycle.services import grant_exception
from jitsuin.notify.models import OutboxMessage
from tests.notify import factories

pytestmark = pytest.mark.django_db

ANONYMOUS, USER, HELPDESK, OPERATOR, CA_ADMIN = (
    "anonymous",
    "user",
    "helpdesk",
    "operator",
    "ca-admin",
)
ROLES = (ANONYMOUS, USER, HELPDESK, OPERATOR, CA_ADMIN)
STAFF = frozenset({HELPDESK, OPERATOR, CA_ADMIN})

# What a role gets back.
LOGIN = "sign-in page"  # 302 to the sign-in page
ALLOWED = "let through"  # past the guard: not 401/403/405, not a sign-in or code redirect, no 5xx
DENIED = 403
NOT_ALLOWED = 405  # the method is not accepted (checked before who is asking)

Answers = dict[str, object]  # role -> expected answer
Row = dict[str, Answers]  # "GET"/"POST" -> answers


def _guarded(allowed: frozenset[str] | set[str], ok: object) -> Answers:
    """A console guard: anonymous to the sign-in page, a role without the permission 403."""
    answers: Answers = {ANONYMOUS: LOGIN, USER: DENIED}
    answers.update({role: ok if role in allowed else DENIED for role in STAFF})
    return answers


def _everyone(answer: object) -> Answers:
    return dict.fromkeys(ROLES, answer)


def page(*allowed: str, post: bool = True) -> Row:
    """A page ``allowed`` roles read (200). ``post=False``: the view accepts GET only."""
    return {
        "GET": _guarded(set(allowed), 200),
        "POST": _guarded(set(allowed), ALLOWED) if post else _everyone(NOT_ALLOWED),
    }


def form(*allowed: str) -> Row:
    """A page with a form that ``allowed`` roles read and submit."""
    return {"GET": _guarded(set(allowed), 200), "POST": _guarded(set(allowed), ALLOWED)}


def action(*allowed: str) -> Row:
    """A POST-only action (a GET is refused before anything else)."""
    return {"GET": _everyone(NOT_ALLOWED), "POST": _guarded(set(allowed), ALLOWED)}


def public(get: object, post: object) -> Row:
    """Open to everyone, signed in or not."""
    return {"GET": _everyone(get), "POST": _everyone(post)}


TABLE: dict[str, Row] = {
    # The console (jitsuin/console/urls.py).
    "console:dashboard": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:people": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:person": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:stuck": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:request": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:retry": action(HELPDESK, CA_ADMIN),
    "console:cancel": action(HELPDESK, CA_ADMIN),
    "console:revoke": action(HELPDESK, CA_ADMIN),
    "console:issue_anew": action(HELPDESK, CA_ADMIN),
    "console:grant_exception": action(HELPDESK, OPERATOR),
    "console:withdraw_exception": action(HELPDESK, OPERATOR),
    "console:outbox": page(HELPDESK),
    "console:resend": action(HELPDESK),
    "console:notices": page(OPERATOR),
    "console:notice_new": form(OPERATOR),
    "console:notice_edit": form(OPERATOR),
    "console:notice_withdraw": action(OPERATOR),
    "console:maintenance": form(OPERATOR, CA_ADMIN),
    "console:maintenance_cancel": action(OPERATOR, CA_ADMIN),
    "console:audit": page(OPERATOR, CA_ADMIN),
    "console:audit_export": page(OPERATOR, CA_ADMIN),
    "console:authorities": page(CA_ADMIN),
    "console:activate": action(CA_ADMIN),
    # Switchover campaigns (jitsuin/console/campaigns/urls.py): every staff role follows a
    # campaign; only CA admins change one (starting it switches the issuing CA and mails
    # every holder).
    "campaigns:list": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "campaigns:detail": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "campaigns:tasks": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "campaigns:export": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "campaigns:create": form(CA_ADMIN),
    "campaigns:preflight": action(CA_ADMIN),
    "campaigns:start": form(CA_ADMIN),
    "campaigns:summary": action(CA_ADMIN),
    "campaigns:confirm": action(CA_ADMIN),
    "campaigns:postpone": action(CA_ADMIN),
    "campaigns:cancel": action(CA_ADMIN),
    # The JSON API (jitsuin/api/): anonymous by design.
    "api-v1:api-root": public(404, 404),
    "api-v1:openapi-json": public(200, 200),  # django-ninja serves the schema to any method
    "api-v1:openapi-view": public(200, 200),
    "api-v1:check": public(NOT_ALLOWED, 422),
}


@dataclass(frozen=True)
class Served:
    route: str
    parameters: tuple[str, ...]


def console_and_api_urls() -> dict[str, Served]:
    """{url name: route and parameters} for every URL the project serves under /console/ or
    /api/, found by walking the URL resolver."""
    found: dict[str, Served] = {}

    def walk(patterns: list, prefix: str, namespace: str, parameters: tuple[str, ...]) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern).lstrip("^")
            names = parameters + tuple(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
                walk(entry.url_patterns, route, inner, names)
            elif isinstance(entry, URLPattern) and route.startswith(("console/", "api/")):
                name = ":".join(filter(None, [namespace, entry.name or f"<unnamed {route}>"]))
                found[name] = Served(route, names)

    walk(get_resolver("jitsuin.urls").url_patterns, "", "", ())
    return found


def test_every_console_and_api_url_has_a_row():
    served = console_and_api_urls()
    assert "console:dashboard" in served and "api-v1:check" in served  # the walk works
    missing = sorted(set(served) - set(TABLE))
    assert not missing, f"say in TABLE who may use these URLs: {missing}"
    stale = sorted(set(TABLE) - set(served))
    assert not stale, f"TABLE has rows for URLs that no longer exist: {stale}"


def test_every_row_names_every_role_for_get_and_post():
    for name, row in TABLE.items():
        assert set(row) == {"GET", "POST"}, name
        for method, answers in row.items():
            assert set(answers) == set(ROLES), (name, method)


@dataclass
class Samples:
    """One of everything a console or API URL can name, made by the real services."""

    ids: dict[str, int]


@pytest.fixture
def samples(ca_hierarchy) -> Samples:
    now = timezone.now()
    holder = factories.person("s2410001")
    certificate = factories.certificate(holder, at=now)
    failed = factories.request(holder, at=now, state="failed")
    exception = grant_exception(
        holder, certificate.profile, policy="overlap", actor="test", reason="matrix"
    )
    assert isinstance(exception, PolicyException)
    message = OutboxMessage.objects.create(
        key="matrix",
        event="request_received",
        person=holder,
        to=holder.email,
        language="ja",
        subject="-",
        body="-",
        message_id="<matrix@x>",
        created_at=now,
        next_attempt_at=now,
        state="sent",
    )
    notice = console_services.save_notice(
        None,
        actor="test",
        title_ja="お知らせ",
        title_en="Notice",
        body_ja="本文",
        body_en="Body",
        importance="info",
        publish_at=now,
    )
    window = console_services.schedule_maintenance(
        actor="test",
        reason="matrix",
        starts_at=now + timedelta(days=10),
        ends_at=now + timedelta(days=10, hours=2),
        scope="both",
        connector="builtin",
    )
    pending = create_intermediate("Issuing CA G2")
    campaign = campaign_services.create_campaign(
        "matrix",
        old=[ca_hierarchy.intermediate.name],
        new=pending.name,
        cutoff=now - timedelta(minutes=1),
        deadline=now + timedelta(days=60),
        actor="test",
    )
    return Samples(
        ids={
            "person_id": holder.pk,
            "certificate_id": certificate.pk,
            "request_id": failed.pk,
            "exception_id": exception.pk,
            "message_id": message.pk,
            "notice_id": notice.pk,
            "window_id": window.pk,
            "authority_id": pending.pk,
            "campaigns:pk": campaign.pk,
        }
    )


# Values for URL parameters that are not object ids.
FIXED_KWARGS = {"fmt": "csv"}


def url_for(name: str, samples: Samples) -> str:
    """The URL named ``name`` with sample objects for its parameters."""
    namespace = name.split(":")[0]
    kwargs: dict[str, object] = {}
    for key in console_and_api_urls()[name].parameters:
        if key in FIXED_KWARGS:
            kwargs[key] = FIXED_KWARGS[key]
        elif f"{namespace}:{key}" in samples.ids:
            kwargs[key] = samples.ids[f"{namespace}:{key}"]
        elif key in samples.ids:
            kwargs[key] = samples.ids[key]
        else:
            raise AssertionError(f"{name}: add a sample for the URL parameter {key!r}")
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def clients(request, client) -> dict[str, Client]:
    """A signed-in client per role (staff with a verified second factor), and an anonymous one."""
    by_role = {ANONYMOUS: client, USER: request.getfixturevalue("plain_user")}
    for role in STAFF:
        by_role[role] = request.getfixturevalue(role.replace("-", "_"))
    return by_role


def answer(client: Client, method: str, url: str) -> tuple[int, str]:
    """(status, location) of one request; whatever it changed is rolled back."""
    with transaction.atomic():
        try:
            response = client.generic(method, url)
        finally:
            transaction.set_rollback(True)
    return response.status_code, response.get("Location", "")


def meets(expected: object, status: int, location: str) -> bool:
    sign_in, second_factor = reverse("access:login"), reverse("access:totp")
    if expected == LOGIN:
        return status == 302 and location.startswith(sign_in)
    if expected == ALLOWED:
        refused = status in (401, 403, 405) or status >= 500
        return not refused and not location.startswith((sign_in, second_factor))
    return status == expected


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_role_gets_its_expected_answer(name, samples, clients):
    url = url_for(name, samples)
    wrong = []
    for method, answers in TABLE[name].items():
        for role, expected in answers.items():
            status, location = answer(clients[role], method, url)
            if not meets(expected, status, location):
                wrong.append(
                    f"{method} {url} as {role}: expected {expected}, got {status} {location}"
                )
    assert not wrong, "\n".join(wrong)
