"""A signed-in person with a few certificates, as the portal benchmark and profile see them.

Made by the real services and the real pipeline: a revoked certificate, a valid one being
replaced under overlap, its successor ready to download (a pickup), and an open request of a
second certificate type (発行申請中). ``signed_in()`` gives the session cookie of a real sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

UID = "bench-alice"


@dataclass(frozen=True)
class PortalSite:
    person_id: int
    certificate_id: int  # the valid one being replaced: its page shows the switch
    session_cookie: str  # "sessionid=..."


def _work_off() -> None:
    from jitsuin.lifecycle import pipeline
    from jitsuin.lifecycle.models import Request
    from jitsuin.lifecycle.transitions import WORKABLE

    for _ in range(10):
        ids = list(Request.objects.filter(state__in=WORKABLE).values_list("pk", flat=True))
        if not ids:
            return
        for pk in ids:
            pipeline.advance(pk, worker_id="bench-portal")


def _issued(person, key: str):  # type: ignore[no-untyped-def]
    from jitsuin.lifecycle.services import request_issue

    request = request_issue(person, actor=f"user:{person.uid}", idempotency_key=key)
    _work_off()
    request.refresh_from_db()
    assert request.certificate is not None, request.last_error
    return request


def build() -> PortalSite:
    """The person, their certificates and requests, and a signed-in session."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from jitsuin.authorities.services import init_hierarchy
    from jitsuin.lifecycle.models import Person, Profile
    from jitsuin.lifecycle.services import (
        collect_pickup,
        default_profile,
        request_issue,
        request_revoke,
    )

    init_hierarchy()
    client_profile = default_profile()
    # EC keys: the site is built in seconds; the pages do not depend on the key type.
    client_profile.key_spec = "p256"
    client_profile.save(update_fields=["key_spec"])
    smime = Profile.objects.create(
        slug="smime",
        name_ja="S/MIME証明書",
        name_en="S/MIME certificate",
        template="client-auth-smime",
        key_spec="p256",
    )
    user = get_user_model().objects.create_user(username=UID)  # signed in by session only
    person = Person.objects.create(
        user=user, uid=UID, email=f"{UID}@example.ac.jp", name_en="Alice Bench", name_ja="アリス"
    )
    actor = f"user:{UID}"
    first = _issued(person, "bench-1")
    collect_pickup(first.pickup, actor=actor)
    request_revoke(first.certificate, actor=actor, idempotency_key="bench-2", reason="superseded")
    _work_off()
    current = _issued(person, "bench-3")
    collect_pickup(current.pickup, actor=actor)
    _issued(person, "bench-4")  # overlap: its successor, ready to download
    request_issue(person, actor=actor, idempotency_key="bench-5", profile=smime)  # stays open
    browser = Client()
    browser.force_login(user)
    return PortalSite(
        person_id=person.pk,
        certificate_id=current.certificate.pk,
        session_cookie=f"sessionid={browser.cookies['sessionid'].value}",
    )
