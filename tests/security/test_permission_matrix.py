"""Every URL the project serves, every role: who gets in, who is refused.

The table below is the specification. ``test_every_url_has_a_row`` walks the whole URL
resolver, so a new page or action anywhere (portal, console, API, sign-in, CRL/OCSP, static
files) fails the suite until someone writes down who may use it. Console rows are built with
``page``, ``form``, ``action``; portal rows with ``mine``, ``owned`` and ``personal_action``;
open URLs with ``public``. The console role sets come from the console's permission table
(docs/console.md), written out here on purpose so that a widened role shows up as a failure.

The roles: anonymous; ``user``, the signed-in owner of the sample certificate, request and
download; ``other user``, a signed-in person with a directory entry of their own who owns none
of the samples (every portal URL that names an object must answer them 404, never the
owner's data); and the three staff roles. The staff accounts hold no certificates of their
own (no Person row), as console accounts usually do not: every personal portal page answers
them 403 ("no certificate record", with a link to the console), so they never see a
person's objects through the portal either. A staff member who does hold certificates is,
on the portal, a user like the other user (the same ``person_required`` lookup).

Each request runs in a savepoint that is rolled back, so one role's action (starting a
campaign, activating a CA) does not change what the next role sees. For a role that passes
the guard, an action only has to be let through (``ALLOWED``: not refused, not an error);
the feature tests check what the action does.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from jitsuin.access.tokens import create_token
from jitsuin.authorities.models import RelyingParty
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.authorities.services import certificate_of, create_intermediate
from jitsuin.campaigns import services as campaign_services
from jitsuin.console import services as console_services
from jitsuin.lifecycle.models import (
    Certificate,
    KeyArchive,
    KeyRecovery,
    Person,
    Pickup,
    PolicyException,
    RecoveryState,
)
from jitsuin.lifecycle.services import grant_exception, request_issue
from jitsuin.notify.models import OutboxMessage
from jitsuin.upki.models import ApplyType, Batch, BatchState, Line, LineState
from tests.notify import factories
from tests.staff_fixtures import sign_in

pytestmark = pytest.mark.django_db

ANONYMOUS, USER, OTHER_USER, HELPDESK, OPERATOR, CA_ADMIN = (
    "anonymous",
    "user",
    "other user",
    "helpdesk",
    "operator",
    "ca-admin",
)
ROLES = (ANONYMOUS, USER, OTHER_USER, HELPDESK, OPERATOR, CA_ADMIN)
STAFF = frozenset({HELPDESK, OPERATOR, CA_ADMIN})

# What a role gets back.
LOGIN = "sign-in page"  # 302 to the sign-in page
ALLOWED = "let through"  # past the guard: not 401/403/404/405, no sign-in or code redirect, no 5xx
DENIED = 403
NOT_FOUND = 404  # someone else's object: as if it did not exist
NOT_ALLOWED = 405  # the method is not accepted (checked before who is asking)
CODE = "second-factor page"  # 302 to the TOTP page: a second factor first (archived keys)

Answers = dict[str, object]  # role -> expected answer
Row = dict[str, Answers]  # "GET"/"POST" -> answers


def _guarded(allowed: frozenset[str] | set[str], ok: object) -> Answers:
    """A console guard: anonymous to the sign-in page, a role without the permission 403."""
    answers: Answers = {ANONYMOUS: LOGIN, USER: DENIED, OTHER_USER: DENIED}
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
    """Open to everyone, signed in or not: every role gets the same answer."""
    return {"GET": _everyone(get), "POST": _everyone(post)}


def signed_in(answer: object) -> Row:
    """Any signed-in account, staff or not; anonymous to the sign-in page."""
    answers: Answers = {ANONYMOUS: LOGIN, **dict.fromkeys(ROLES[1:], answer)}
    return {"GET": answers, "POST": dict(answers)}


def _personal(owner: object, other: object) -> Answers:
    """A portal page for the signed-in person: anonymous to the sign-in page, staff accounts
    without a directory entry of their own 403 ("no certificate record")."""
    answers: Answers = {ANONYMOUS: LOGIN, USER: owner, OTHER_USER: other}
    answers.update(dict.fromkeys(STAFF, DENIED))
    return answers


def mine(*, post: object = ALLOWED) -> Row:
    """A page about the signed-in person's own certificates: each user sees their own."""
    return {"GET": _personal(200, 200), "POST": _personal(post, post)}


def personal_action() -> Row:
    """A POST-only action on the signed-in person's own record (a GET is refused first)."""
    return {"GET": _everyone(NOT_ALLOWED), "POST": _personal(ALLOWED, ALLOWED)}


def stepped_up_mine(*, post: bool = True) -> Row:
    """A portal page that needs a second factor even for users (archived S/MIME keys): the
    users here have none, so they are sent to the TOTP page before any object is looked up;
    ``test_archived_keys_hide_the_owners_archive_from_the_other_user`` checks the 404 after."""
    answers = _personal(CODE, CODE)
    return {"GET": answers, "POST": dict(answers) if post else _everyone(NOT_ALLOWED)}


def owned(*, get: bool = True) -> Row:
    """A page or action on one of the owner's objects (its id is in the URL): the owner gets
    in, the other user 404. ``get=False``: the view accepts POST only."""
    return {
        "GET": _personal(200, NOT_FOUND) if get else _everyone(NOT_ALLOWED),
        "POST": _personal(ALLOWED, NOT_FOUND),
    }


STATIC = "<unnamed static/(?P<path>.*)$>"
SCIM_ANYTHING = "scim:<unnamed scim/v2/(?P<rest>.*)$>"

TABLE: dict[str, Row] = {
    # The portal (jitsuin/portal/urls.py): a person's own certificates. Pages that name an
    # object (certificate, request, download) look it up among the signed-in person's own, so
    # the other user gets 404 for the owner's, on GET and POST alike. Staff accounts without
    # certificates of their own get 403 on every personal page.
    "portal:home": mine(),
    "portal:status": mine(),
    "portal:issue": mine(),
    "portal:issue_anew": personal_action(),
    "portal:certificate": owned(),
    "portal:certificate_status": owned(),
    "portal:revoke": owned(),
    "portal:confirm_new": owned(get=False),
    "portal:request": owned(),
    "portal:download": owned(),
    "portal:download_file": owned(get=False),
    "portal:download_profile": owned(get=False),
    "portal:archived_keys": stepped_up_mine(post=False),
    "portal:recover_key": stepped_up_mine(),
    # The portal's public pages: notices, help and the certificate check need no sign-in
    # (they take any method; a POST changes nothing but the check's verdict).
    "portal:check": public(200, 200),
    "portal:notices": public(200, 200),
    "portal:notice": public(200, 200),
    "portal:help": public(200, 200),
    "portal:faq": public(200, 200),
    "portal:import_guide": public(200, 200),
    # The Wi-Fi server's CA for manual setup: 404 while JITSUIN_RADIUS_SERVER_CA is unset (as
    # here); tests/onboarding/test_portal.py serves it.
    "portal:wifi_server_ca": public(404, NOT_ALLOWED),
    # Signing in and out (jitsuin/access/urls.py).
    "access:login": public(200, 200),
    "access:logout": public(NOT_ALLOWED, LOGIN),  # POST signs out, then the sign-in page
    "access:totp": signed_in(ALLOWED),  # enter or set up a code; verified staff pass on
    # Single sign-on's own pages (jitsuin/sso/urls.py): the sign-out an SSO session is handed
    # to (without an IdP session, a plain sign-out), and where the IdP returns after its own.
    "sso_sign_out": public(NOT_ALLOWED, LOGIN),
    "sso_signed_out": public(200, 200),
    # Relying parties (jitsuin/revocation/urls.py) and the load balancer: CA certificates,
    # CRLs, OCSP and /healthz answer every role alike, signed in or not.
    "revocation:ca-bundle": public(200, NOT_ALLOWED),
    "revocation:ca-roots": public(200, NOT_ALLOWED),
    "revocation:ca-pem": public(200, NOT_ALLOWED),
    "revocation:ca-der": public(200, NOT_ALLOWED),
    "revocation:crl-bundle": public(200, NOT_ALLOWED),
    "revocation:crl-der": public(200, NOT_ALLOWED),
    "revocation:crl-pem": public(200, NOT_ALLOWED),
    # The OCSP fast path answers every /ocsp* URL before routing: a POST is an OCSP request
    # (an empty one gets the "malformedRequest" answer, status 200), whatever the path.
    "revocation:ocsp": public(200, 200),
    "revocation:ocsp-slash": public(200, 200),
    "revocation:ocsp-get": public(200, 200),
    "healthz": public(200, 200),
    # Django's language switch (django.conf.urls.i18n: a redirect back, the cookie set on
    # POST) and the static files (jitsuin.urls: an unnamed pattern, its row keyed by its route).
    "set_language": public(ALLOWED, ALLOWED),
    STATIC: public(200, 200),
    # The console (jitsuin/console/urls.py).
    "console:dashboard": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:people": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:person": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:stuck": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:request": page(HELPDESK, OPERATOR, CA_ADMIN),
    "console:retry": action(HELPDESK, CA_ADMIN),
    "console:cancel": action(HELPDESK, CA_ADMIN),
    "console:stuck_claim": action(HELPDESK, CA_ADMIN),
    "console:stuck_release": action(HELPDESK, CA_ADMIN),
    "console:stuck_snooze": action(HELPDESK, CA_ADMIN),
    "console:stuck_wake": action(HELPDESK, CA_ADMIN),
    "console:repoll": action(HELPDESK, CA_ADMIN),
    "console:revoke": action(HELPDESK, CA_ADMIN),
    "console:issue_anew": action(HELPDESK, CA_ADMIN),
    "console:grant_exception": action(HELPDESK, OPERATOR),
    "console:withdraw_exception": action(HELPDESK, OPERATOR),
    "console:outbox": page(HELPDESK),
    "console:resend": form(HELPDESK),
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
    # Recovering someone else's archived key (dual control). The download is for the admin
    # who asked only: the sample recovery was asked for by another admin, so 404.
    "console:key_recoveries": form(CA_ADMIN),
    "console:key_recovery_approve": action(CA_ADMIN),
    "console:key_recovery_cancel": action(CA_ADMIN),
    "console:key_recovery_download": {
        "GET": _guarded({CA_ADMIN}, NOT_FOUND),
        "POST": _guarded({CA_ADMIN}, NOT_FOUND),
    },
    "console:api_tokens": form(CA_ADMIN),
    "console:api_token_revoke": action(CA_ADMIN),
    # Relying parties: every role sees which servers keep up; forgetting one goes with its
    # token (CA admins).
    "console:relying_parties": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "console:relying_party_forget": action(CA_ADMIN),
    # The national service (jitsuin/console/upki_views.py): read by whoever reads the stuck
    # queue; sending a refused line again retries its request (the retry permission).
    "console:upki": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "console:upki_batch": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "console:upki_batch_tsv": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "console:upki_mails": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "console:upki_line_retry": action(HELPDESK, CA_ADMIN),
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
    "campaigns:confirm": form(CA_ADMIN),  # the guarded confirmation page (dual control)
    "campaigns:confirm_withdraw": action(CA_ADMIN),
    "campaigns:postpone": action(CA_ADMIN),
    "campaigns:cancel": action(CA_ADMIN),
    "campaigns:mail_preview": page(HELPDESK, OPERATOR, CA_ADMIN, post=False),
    "campaigns:mail_test": action(CA_ADMIN),
    "campaigns:remind_now": action(CA_ADMIN),
    "campaigns:resend": action(CA_ADMIN),
    # The JSON API (jitsuin/api/): /check is anonymous by design.
    "api-v1:api-root": public(404, 404),
    "api-v1:openapi-json": public(200, 200),  # django-ninja serves the schema to any method
    "api-v1:openapi-view": public(200, 200),
    "api-v1:check": public(NOT_ALLOWED, 422),
    # Token endpoints: a console or portal session is no API token, so every role here gets
    # 401 (tests/api/test_scopes.py checks each endpoint against each token scope).
    "api-v1:list_people": public(401, 401),  # POST on the same path creates (people:write)
    "api-v1:create_person": public(401, 401),
    "api-v1:change_person": public(401, NOT_ALLOWED),  # PATCH; GET shows
    "api-v1:deactivate_person": public(NOT_ALLOWED, 401),
    "api-v1:reactivate_person": public(NOT_ALLOWED, 401),
    "api-v1:list_requests": public(401, 401),
    "api-v1:create_request": public(401, 401),
    "api-v1:create_issue_batch": public(NOT_ALLOWED, 401),
    "api-v1:show_request": public(401, NOT_ALLOWED),
    "api-v1:list_campaigns": public(401, NOT_ALLOWED),
    "api-v1:show_campaign": public(401, NOT_ALLOWED),
    "api-v1:list_stragglers": public(401, NOT_ALLOWED),
    "api-v1:show_person": public(401, NOT_ALLOWED),
    "api-v1:list_certificates": public(401, NOT_ALLOWED),
    "api-v1:show_certificate": public(401, NOT_ALLOWED),
    "api-v1:show_pickup": public(401, NOT_ALLOWED),
    "api-v1:revoke_certificate": public(NOT_ALLOWED, 401),
    "api-v1:report_sighting": public(NOT_ALLOWED, 401),
    "api-v1:report": public(NOT_ALLOWED, 401),
    # SCIM (jitsuin/scim/): the token is checked before the method, so a session gets 401.
    **{
        f"scim:{name}": public(401, 401)
        for name in (
            "root",
            "search",
            "users",
            "users-search",
            "user",
            "config",
            "resource-types",
            "resource-type",
            "schemas",
            "schema",
        )
    },
    SCIM_ANYTHING: public(401, 401),
}


@dataclass(frozen=True)
class Served:
    route: str
    parameters: tuple[str, ...]


def served_urls() -> dict[str, Served]:
    """{url name: route and parameters} for every URL the project serves, found by walking
    the URL resolver; an unnamed pattern is named by its route."""
    found: dict[str, Served] = {}

    def walk(patterns: list, prefix: str, namespace: str, parameters: tuple[str, ...]) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern).lstrip("^")
            names = parameters + tuple(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
                walk(entry.url_patterns, route, inner, names)
            elif isinstance(entry, URLPattern):
                name = ":".join(filter(None, [namespace, entry.name or f"<unnamed {route}>"]))
                found[name] = Served(route, names)

    walk(get_resolver("jitsuin.urls").url_patterns, "", "", ())
    return found


def test_every_url_has_a_row():
    served = served_urls()
    for sample in ("portal:download", "revocation:ocsp", "console:dashboard", "api-v1:check"):
        assert sample in served, sample  # the walk reaches every app
    missing = sorted(set(served) - set(TABLE))
    assert not missing, f"say in TABLE who may use these URLs: {missing}"
    stale = sorted(set(TABLE) - set(served))
    assert not stale, f"TABLE has rows for URLs that no longer exist: {stale}"


def test_every_row_names_every_role_for_get_and_post():
    for name, row in TABLE.items():
        assert set(row) == {"GET", "POST"}, name
        for method, answers in row.items():
            assert set(answers) == set(ROLES), (name, method)


def test_every_url_naming_a_persons_object_hides_it_from_the_other_user():
    """IDOR: a portal URL with an object id in it is a 404 for anyone but the owner."""
    for name in OBJECT_OF:
        if TABLE[name]["GET"][OTHER_USER] == CODE:
            continue  # after the second factor: test_archived_keys_hide_the_owners_archive...
        if name.startswith("portal:") and OBJECT_OF[name] != "notice_id":
            assert TABLE[name]["POST"][OTHER_USER] == NOT_FOUND, name
            assert TABLE[name]["GET"][OTHER_USER] in (NOT_FOUND, NOT_ALLOWED), name


@dataclass
class Samples:
    """One of everything a URL can name, made by the real services."""

    ids: dict[str, object]
    owner: Person
    other: Person


# Which sample a URL's ``pk`` names, where the namespace alone does not say.
OBJECT_OF = {
    "portal:certificate": "certificate_id",
    "portal:certificate_status": "certificate_id",
    "portal:revoke": "certificate_id",
    "portal:confirm_new": "certificate_id",
    "portal:request": "request_id",
    "portal:download": "pickup_id",
    "portal:download_file": "pickup_id",
    "portal:download_profile": "pickup_id",
    "portal:notice": "notice_id",
    "portal:recover_key": "archive_id",
}

# Values for URL parameters that are not object ids.
FIXED_KWARGS = {"fmt": "csv", "platform": "windows"}

# URLs without a name are built by hand.
UNNAMED = {STATIC: "/static/jitsuin/site.css", SCIM_ANYTHING: "/scim/v2/Groups"}


def user_person(uid: str) -> Person:
    """A person in the directory who signs in to the portal as ``uid``."""
    user = User.objects.create_user(uid)  # no password: signed in by force_login
    return factories.person(uid, user=user)


def ready_pickup(person: Person) -> Pickup:
    """A certificate issued through the real pipeline, its download not yet collected."""
    issued = request_issue(person, actor=f"user:{person.uid}", idempotency_key="matrix-issue")
    factories.run(issued)
    assert issued.state == "ready" and issued.certificate is not None, issued.last_error
    return Pickup.objects.get(request=issued)


def ocsp_get_path(certificate: Certificate) -> str:
    """The RFC 5019 GET form of an OCSP request for ``certificate``."""
    der = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(
            x509.load_der_x509_certificate(bytes(certificate.der)),
            certificate_of(certificate.issuer),
            hashes.SHA1(),  # noqa: S303 (RFC 5019 CertIDs)
        )
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    return base64.b64encode(der).decode()


@pytest.fixture
def samples(ca_hierarchy) -> Samples:
    now = timezone.now()
    holder = user_person("s2410001")
    other = user_person("s2410002")
    pickup = ready_pickup(holder)
    publish_crl(ca_hierarchy.intermediate)
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
    # Only the rows matter to the guards: an archive of the holder's certificate and another
    # admin's recovery of it, waiting for approval.
    archive = KeyArchive.objects.create(
        certificate=certificate,
        encrypted_key=b"JKA1 encrypted to the recovery key",
        recovery_key_id="ab" * 32,
        created_at=now,
    )
    key_recovery = KeyRecovery.objects.create(
        archive=archive,
        for_owner=False,
        recipient=User.objects.create_user("ca-requester"),
        requested_by="staff:ca-requester",
        reason="matrix",
        state=RecoveryState.AWAITING_APPROVAL,
        created_at=now,
    )
    # The failed request's application, refused by the national service in its batch.
    batch = Batch.objects.create(
        apply_type=ApplyType.ISSUE,
        state=BatchState.ANSWERED,
        tsv=b"1\tCN=s2410001,O=Test,C=JP\r\n",
        created_at=now,
        answered_at=now,
    )
    line = Line.objects.create(
        request_id=failed.pk,
        apply_type=ApplyType.ISSUE,
        state=LineState.FAILED,
        batch=batch,
        seq=1,
        dn="CN=s2410001,O=Test,C=JP",
        error="refused",
        created_at=now,
        updated_at=now,
        finished_at=now,
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
            "pickup_id": pickup.pk,
            "exception_id": exception.pk,
            "message_id": message.pk,
            "notice_id": notice.pk,
            "window_id": window.pk,
            "authority_id": pending.pk,
            "archive_id": archive.pk,
            "recovery_id": key_recovery.pk,
            "token_id": create_token("matrix", ["people:read"], actor="test")[1].pk,
            "party_id": RelyingParty.objects.create(
                token_name="matrix", name="radius1", first_report_at=now, last_report_at=now
            ).pk,
            "batch_id": batch.pk,
            "line_id": line.pk,
            "campaigns:pk": campaign.pk,
            "api-v1:uid": holder.uid,
            "api-v1:serial": certificate.serial,
            "api-v1:campaign_id": campaign.pk,
            "scim:person_id": str(holder.pk),
            "scim:key": "User",
            "revocation:slug": ca_hierarchy.intermediate.slug,
            "revocation:encoded": ocsp_get_path(pickup.certificate),
        },
        owner=holder,
        other=other,
    )


def url_for(name: str, samples: Samples) -> str:
    """The URL named ``name`` with sample objects for its parameters."""
    if name in UNNAMED:
        return UNNAMED[name]
    namespace = name.split(":")[0]
    kwargs: dict[str, object] = {}
    for key in served_urls()[name].parameters:
        if key in FIXED_KWARGS:
            kwargs[key] = FIXED_KWARGS[key]
        elif key == "pk" and name in OBJECT_OF:
            kwargs[key] = samples.ids[OBJECT_OF[name]]
        elif f"{namespace}:{key}" in samples.ids:
            kwargs[key] = samples.ids[f"{namespace}:{key}"]
        elif key in samples.ids:
            kwargs[key] = samples.ids[key]
        else:
            raise AssertionError(f"{name}: add a sample for the URL parameter {key!r}")
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def clients(request, client, samples) -> dict[str, Client]:
    """A signed-in client per role (staff with a verified second factor), and an anonymous one.

    The user and the other user sign in as the sample owner and the other person."""
    by_role = {
        ANONYMOUS: client,
        USER: sign_in(samples.owner.user, verified=False),
        OTHER_USER: sign_in(samples.other.user, verified=False),
    }
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
    if expected == CODE:
        return status == 302 and location.startswith(second_factor)
    if expected == ALLOWED:
        refused = status in (401, 403, 404, 405) or status >= 500
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


def test_each_user_sees_only_their_own_certificates(samples, clients):
    """The personal pages without an id in the URL show the signed-in person's own objects:
    the owner's links are on the owner's pages and on nobody else's."""
    certificate = reverse("portal:certificate", kwargs={"pk": samples.ids["certificate_id"]})
    download = reverse("portal:download", kwargs={"pk": samples.ids["pickup_id"]})
    owner_marks = (certificate, download, samples.owner.email)
    for name in ("portal:home", "portal:status"):
        url = reverse(name)
        page = clients[USER].get(url).content.decode()
        assert all(mark in page for mark in (certificate, download)), name
        for role in (OTHER_USER, *sorted(STAFF)):
            response = clients[role].get(url)
            seen = [mark for mark in owner_marks if mark in response.content.decode()]
            assert not seen, f"{name} as {role} shows the owner's {seen}"


RELYING_PARTY = sorted(name for name in TABLE if name.startswith("revocation:")) + ["healthz"]


@pytest.mark.parametrize("name", RELYING_PARTY)
def test_relying_party_urls_give_every_role_the_same_bytes(name, samples, clients):
    """CA certificates, CRLs, OCSP and /healthz do not depend on who asks."""
    url = url_for(name, samples)
    bodies = {role: clients[role].get(url).content for role in ROLES}
    assert len(set(bodies.values())) == 1, f"{url}: the answer depends on the role"


def test_archived_keys_hide_the_owners_archive_from_the_other_user(samples):
    """With a second factor, the other user gets 404 for the owner's archive (GET and POST)
    and does not see it listed; the owner does."""
    url = url_for("portal:recover_key", samples)
    other = sign_in(samples.other.user)
    assert other.get(url).status_code == NOT_FOUND
    assert other.post(url, {"reason": "mine"}).status_code == NOT_FOUND
    assert url not in other.get(reverse("portal:archived_keys")).content.decode()
    owner = sign_in(samples.owner.user)
    assert owner.get(url).status_code == 200
    assert url in owner.get(reverse("portal:archived_keys")).content.decode()
    assert not KeyRecovery.objects.filter(for_owner=True).exists()
