"""The pages issue 15 measures at scale, and who visits them: a generated holder signed in to
the portal, a helpdesk member signed in to the console (second factor verified): the role
that searches people and works the stuck-request queue, with its forms (retry, cancel, claim).

``visitors()`` picks the holder among the generated people (active, three certificates or
more), makes their account and the helpdesk member's, and returns the session cookies and the
paths; ``explain(path, cookie)`` runs one page in-process and EXPLAIN ANALYZEs its slowest
queries (how the indexes of lifecycle migration 0013 were chosen).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Visitors:
    holder_uid: str
    portal_cookie: str
    console_cookie: str
    portal: dict[str, str]  # label -> path
    console: dict[str, str]


def _holder() -> Any:
    from django.db.models import Count, Q

    from jitsuin.lifecycle.models import Person

    middle = Person.objects.order_by("pk").values_list("pk", flat=True)
    start = middle[Person.objects.count() // 2]
    return (
        Person.objects.filter(pk__gte=start, active=True)
        .annotate(n=Count("certificates", filter=Q(certificates__status="valid")))
        .filter(n__gte=2)
        .order_by("pk")
        .first()
    )


def _cookie(user: Any, *, verified: bool) -> str:
    from django.conf import settings
    from django.test import Client

    from jitsuin.access.models import SealedTOTPDevice

    client = Client()
    client.force_login(user)
    if verified:
        device = SealedTOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def visitors() -> Visitors:
    from django.contrib.auth.models import Group, User

    from jitsuin.access.roles import HELPDESK
    from jitsuin.console.roles import ensure_roles
    from jitsuin.lifecycle.models import Certificate
    from jitsuin.pki.names import Serial

    holder = _holder()
    if holder is None:
        raise SystemExit("no generated person with two valid certificates: generate first")
    user, _ = User.objects.get_or_create(username=holder.uid)
    holder.user = user
    holder.save(update_fields=["user"])
    latest = Certificate.objects.filter(person=holder).order_by("-not_before").first()
    ensure_roles()
    staff, _ = User.objects.get_or_create(username="scale-helpdesk")
    staff.groups.set([Group.objects.get(name=HELPDESK)])
    serial = Serial.parse(latest.serial)
    q = "/console/people/?q="
    surname = holder.name_ja.split()[0]
    return Visitors(
        holder_uid=holder.uid,
        portal_cookie=_cookie(user, verified=False),
        console_cookie=_cookie(staff, verified=True),
        portal={"portal home": "/", "certificate page": f"/certificates/{latest.pk}/"},
        console={
            "search: uid": q + holder.uid,
            "search: uid digits": q + holder.uid[1:7],
            "search: name": q + holder.name_ja.replace(" ", "%20"),
            "search: surname": q + surname,
            "search: e-mail": q + holder.email,
            "search: serial hex prefix": q + "%3A".join(serial.hex_pairs.split()[:4]),
            "search: serial decimal prefix": q + serial.decimal[:10],
            "stuck-request queue": "/console/requests/stuck/",
        },
    )


def explain(path: str, cookie: str, *, top: int = 3) -> list[tuple[float, str, str]]:
    """(ms, SQL, plan) of the ``top`` slowest queries of one GET of ``path``."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path).status_code
    assert status == 200, (path, status)
    found = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            ms = float(plan.rsplit("Execution Time: ", 1)[1].split()[0])
            found.append((ms, sql, plan))
    return sorted(found, reverse=True)[:top]


def main() -> None:
    """EXPLAIN ANALYZE each page's slowest queries on DATABASE_URL's generated data."""
    from benchmarks.httpload import setup_django

    setup_django()
    who = visitors()
    pages = [(label, path, who.portal_cookie) for label, path in who.portal.items()]
    pages += [(label, path, who.console_cookie) for label, path in who.console.items()]
    for label, path, cookie in pages:
        print(f"\n### {label}: {path}")
        for ms, sql, plan in explain(path, cookie):
            print(f"-- {ms:.1f} ms: {sql[:300]}")
            print(plan)


if __name__ == "__main__":
    main()
