"""Demo data for the embedded default: profiles and sign-in accounts, clearly marked as demo.

The accounts get random passwords, printed once when they are made and kept in
``<data dir>/demo-credentials.txt`` (mode 0600). Staff accounts get a confirmed TOTP device
whose key is printed too, because staff must pass a second factor. The demo person gets a
real certificate through the real pipeline, so the seed's story (revoke, issue, download)
can be walked at once. Only with ``JITSUIN_DEMO=1`` (``make run`` sets it); the default makes
nothing.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from jitsuin.access.roles import CA_ADMIN, HELPDESK, OPERATOR, STAFF_ROLES
from jitsuin.access.services import create_totp_device, totp_secret
from jitsuin.audit.actors import Actor
from jitsuin.audit.services import record
from jitsuin.cli.options import write_private
from jitsuin.config import current
from jitsuin.console.services import save_notice, schedule_maintenance
from jitsuin.lifecycle import pipeline, services
from jitsuin.lifecycle.models import Person, PickupState, Request
from jitsuin.onboarding.server import DEMO_SERVER_NAME

DEMO_MARK = "DEMO"
DEMO_ACTOR = str(Actor.system("demo"))


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # "user" or a staff role
    name_ja: str
    name_en: str


DEMO_ACCOUNTS = (
    DemoAccount("demo-student", "user", "実印 花子", "Hanako Jitsuin"),
    DemoAccount("demo-newcomer", "user", "実印 次郎", "Jiro Jitsuin"),
    DemoAccount("demo-helpdesk", HELPDESK, "ヘルプデスク（デモ）", "Helpdesk (demo)"),
    DemoAccount("demo-operator", OPERATOR, "運用担当（デモ）", "Operator (demo)"),
    DemoAccount("demo-ca-admin", CA_ADMIN, "認証局管理者（デモ）", "CA administrator (demo)"),
)
# Who starts the story with a valid certificate.
DEMO_HOLDER = "demo-student"


def credentials_path() -> Path:
    return current().data_dir / "demo-credentials.txt"


def _credentials_line(account: DemoAccount, password: str, *, totp_key: str = "") -> str:
    """One aligned line: ``[DEMO] role: user      username: demo-student  password: ...``."""
    line = (
        f"  [{DEMO_MARK}] role: {account.role:<9} username: {account.username:<14} "
        f"password: {password}"
    )
    return f"{line}  TOTP key: {totp_key}" if totp_key else line


def _make_account(account: DemoAccount, password: str) -> str:
    """Create the user (and Person, or staff group and TOTP device); return its credentials."""
    user_model = get_user_model()
    user = user_model.objects.create_user(
        username=account.username,
        password=password,
        email=f"{account.username}@example.invalid",
        first_name=account.name_en,
    )
    if account.role in STAFF_ROLES:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        group, _ = Group.objects.get_or_create(name=account.role)
        user.groups.add(group)
        device = create_totp_device(user, name="demo authenticator", confirmed=True)
        line = _credentials_line(account, password, totp_key=totp_secret(device))
    else:
        Person.objects.create(
            user=user,
            uid=account.username,
            email=user.email,
            name_ja=account.name_ja,
            name_en=account.name_en,
            affiliation="Demo",
        )
        line = _credentials_line(account, password)
    record(
        "demo.account_created",
        actor=DEMO_ACTOR,
        obj=user,
        data={"username": account.username, "role": account.role},
    )
    return line


def give_valid_certificate(person: Person, *, wait: float = 15.0) -> None:
    """Issue a certificate for ``person`` through the pipeline and mark it installed.

    With a slow builtin CA (``JITSUIN_BUILTIN_DELAY``) this waits up to ``wait`` seconds;
    after that the worker finishes the request and the demo starts at "Ready to download".
    """
    request = services.request_issue(
        person, actor=DEMO_ACTOR, idempotency_key=f"demo:first-certificate:{person.uid}"
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        request.refresh_from_db()
        if request.state not in ("queued", "waiting", "processing"):
            break
        if pipeline.advance(request.pk) not in ("issued", "revoked"):
            time.sleep(0.2)
    request = Request.objects.select_related("pickup").get(pk=request.pk)
    pickup = getattr(request, "pickup", None)
    if pickup is not None and pickup.state == PickupState.READY:
        # Demo only: as if the holder had downloaded and installed it long ago.
        services.collect_pickup(pickup, actor=DEMO_ACTOR)


def publish_demo_notice_and_maintenance() -> None:
    """A notice and a maintenance window in three days, so a new user sees both (the banner
    announces windows a week ahead); made with the console's services, audited like them."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    save_notice(
        None,
        actor=DEMO_ACTOR,
        title_ja="（デモ）証明書サービスのお知らせ",
        title_en="(Demo) Certificate service notice",
        body_ja="これはデモ用のお知らせです。実際の運用では、ヘルプデスクが管理画面から掲載します。",
        body_en="This is a demo notice. In real use the helpdesk publishes notices in the console.",
        importance="info",
        publish_at=now - timedelta(hours=1),
    )
    starts = now + timedelta(days=3)
    schedule_maintenance(
        actor=DEMO_ACTOR,
        reason="demo data",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        note_ja="（デモ）計画メンテナンス：この間の申請は終了後に処理されます。",
        note_en="(Demo) Planned maintenance: requests made meanwhile are processed afterwards.",
    )


def ensure_demo_data(out: TextIO, *, passwords: dict[str, str] | None = None) -> None:
    """Create the demo profile and accounts unless they exist; print their credentials.

    ``passwords`` fixes passwords by username (tests); the rest are random.
    """
    if not current().demo:
        return
    services.default_profile()
    user_model = get_user_model()
    missing = [
        a for a in DEMO_ACCOUNTS if not user_model.objects.filter(username=a.username).exists()
    ]
    path = credentials_path()
    if not missing:
        out.write(f"[{DEMO_MARK}] demo accounts exist; their credentials are in {path}\n")
        return
    lines = []
    with transaction.atomic():
        for account in missing:
            password = (passwords or {}).get(account.username) or secrets.token_urlsafe(9)
            lines.append(_make_account(account, password))
        if len(missing) == len(DEMO_ACCOUNTS):  # the first run
            publish_demo_notice_and_maintenance()
    holder = Person.objects.filter(uid=DEMO_HOLDER).first()
    if holder is not None and not holder.certificates.exists():
        give_valid_certificate(holder)
    header = (
        f"[{DEMO_MARK}] Demo accounts for trying jitsuin. NOT FOR PRODUCTION: unset JITSUIN_DEMO\n"
        f"[{DEMO_MARK}] and delete these users before real use. Staff accounts need the TOTP key\n"
        f"[{DEMO_MARK}] in an authenticator app (or `oathtool --totp -b KEY`).\n"
    )
    text = header + "\n".join(lines) + "\n"
    previous = path.read_text() if path.exists() else ""
    write_private(path, (previous + text).encode())
    out.write(text)
    out.write(f"[{DEMO_MARK}] saved to {path}\n")
    if not current().wifi.configured:
        out.write(
            f"[{DEMO_MARK}] Wi-Fi profiles use demo-only stand-ins: server name "
            f"{DEMO_SERVER_NAME}, jitsuin's root as the server CA (docs/onboarding.md)\n"
        )
