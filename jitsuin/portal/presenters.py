"""What the user's pages show: the seed's statuses, serials both ways, requests with history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jitsuin.audit.actors import CLI, STAFF
from jitsuin.lifecycle import overlap
from jitsuin.lifecycle.choices import OPEN_STATES
from jitsuin.lifecycle.models import (
    WAIT_RETRY,
    Certificate,
    CertificateStatus,
    Person,
    Pickup,
    PickupState,
    Request,
    RequestKind,
    RequestState,
    RequestTransition,
)
from jitsuin.lifecycle.permissions import (
    CertificateActions,
    PersonActions,
    actions_for,
    certificate_status,
    with_page_facts,
)
from jitsuin.sightings.services import WifiUse, last_wifi_use

# The labels users know from the seed (J-UPKI):
# 有効, 失効申請中, 失効, 期限切れ, 発行申請中, ダウンロード可能.
STATUS_LABELS: dict[str, Promise] = {
    "valid": _("Valid"),
    "revoking": _("Revoke processing"),
    "revoked": _("Revoked"),
    "expired": _("Expired"),
    "not_yet_valid": _("Not yet valid"),
    "issuer_revoked": _("Not working: its CA was revoked"),
    "issuing": _("Issue processing"),
    "ready": _("Ready to download"),
}

FINISHED_STATUSES = ("revoked", "expired")

# What a request's state means to its owner, in plain words.
REQUEST_STATE_LABELS: dict[str, Promise] = {
    RequestState.QUEUED: _("Accepted, waiting to be processed"),
    RequestState.WAITING: _("Accepted, on hold (maintenance or waiting for a revocation)"),
    RequestState.PROCESSING: _("Being processed"),
    RequestState.READY: _("Ready to download"),
    RequestState.COLLECTED: _("Downloaded"),
    RequestState.DONE: _("Done"),
    # A failed request is never retried by itself (only staff retry it); a delayed one waits
    # in ``waiting`` for its next automatic attempt (see ``request_status``).
    RequestState.FAILED: _("Failed: not retried automatically (the helpdesk can retry it)"),
    RequestState.CANCELLED: _("Cancelled"),
    RequestState.EXPIRED: _("Not downloaded in time (the key was destroyed)"),
}


STAFF_KINDS = frozenset({STAFF, CLI})


def state_label(state: str) -> Promise | str:
    return REQUEST_STATE_LABELS.get(state, state)


def request_status(request: Request) -> Promise | str:
    """The state in words, telling a delay that is retried automatically from a hold."""
    if request.state == RequestState.WAITING and request.wait_reason == WAIT_RETRY:
        return _("Delayed: retried automatically")
    return state_label(request.state)


def step_label(step: RequestTransition) -> Promise | str:
    """One line of a request's history; a cancellation by staff says so, with the reason."""
    if step.to_state == RequestState.CANCELLED and step.actor.partition(":")[0] in STAFF_KINDS:
        return _("Cancelled by the helpdesk: %(reason)s") % {"reason": step.note}
    return state_label(step.to_state)


def kind_label(kind: str) -> Promise:
    return _("Issue") if kind == RequestKind.ISSUE else _("Revoke")


@dataclass
class CertificateCard:
    certificate: Certificate
    status: str
    actions: CertificateActions
    # Under overlap, the switch this certificate is part of (as the old or the new one):
    # "new certificate last used ..., old last used ..." and when the old one goes.
    switch: overlap.Switch | None = None
    switch_usage: str = ""
    switch_revocation: str = ""
    # The latest login a relying party (FreeRADIUS) reported: "last used for Wi-Fi at ...".
    wifi: WifiUse | None = None

    @property
    def label(self) -> Promise:
        return STATUS_LABELS.get(self.status, self.actions.status_label)

    @property
    def serial_hex(self) -> str:
        return self.certificate.serial_number.hex_pairs

    @property
    def serial_decimal(self) -> str:
        return self.certificate.serial_number.decimal

    @property
    def revoke_request(self) -> Request | None:
        return self.actions.revoke_request

    @property
    def switch_now(self) -> str:
        """ "Valid until 12月3日（木）19:51 — switch now": its CA's revocation is scheduled."""
        return self.actions.switch_now_text

    @property
    def can_download(self) -> bool:
        """Within the pickup window, and only while the certificate is still usable."""
        return self.actions.can_download and self.status in ("ready", "valid")

    @property
    def pickup(self) -> Pickup | None:
        return self.actions.pickup


@dataclass
class PendingIssue:
    """An issue request that has no certificate yet (発行申請中)."""

    request: Request
    status: str = "issuing"

    @property
    def label(self) -> Promise:
        return STATUS_LABELS[self.status]


@dataclass
class Overview:
    actions: PersonActions
    cards: list[CertificateCard] = field(default_factory=list)
    pending: list[PendingIssue] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    # The newest request not in ``requests``: "Show older requests" leads to it.
    next_request: Request | None = None
    # A key of one of the certificates (revoked and expired included) is archived for recovery.
    has_archived_keys: bool = False

    @property
    def current_cards(self) -> list[CertificateCard]:
        return [c for c in self.cards if c.status not in FINISHED_STATUSES]

    @property
    def past_cards(self) -> list[CertificateCard]:
        """Revoked and expired certificates: shown folded away on the overview."""
        return [c for c in self.cards if c.status in FINISHED_STATUSES]

    @property
    def in_progress(self) -> bool:
        """Something may change without the user doing anything: the page keeps polling."""
        return bool(self.pending) or any(c.status == "revoking" for c in self.cards)


def _is_finished(certificate: Certificate, now: datetime) -> bool:
    return certificate.status == CertificateStatus.REVOKED or certificate.not_after <= now


def card_for(
    certificate: Certificate,
    actions: PersonActions,
    switches: dict[int, overlap.Switch] | None = None,
) -> CertificateCard:
    """The certificate with its status as users know it; a fresh pickup shows 'ready'.

    A revoked or expired certificate allows nothing, so it costs no query: a long history
    does not make the page slower (tests/portal/test_query_budget.py).
    """
    if _is_finished(certificate, actions.now):
        status = certificate_status(certificate, actions.now)
        finished = CertificateActions(
            status=status, can_revoke=False, can_download=False, can_confirm=False
        )
        return CertificateCard(certificate, status, finished)
    certificate_actions = actions.for_certificate(certificate)
    status = certificate_actions.status
    pickup = certificate_actions.pickup
    if status == "valid" and pickup is not None and pickup.state == PickupState.READY:
        status = "ready"
    switch = (switches or {}).get(certificate.pk)
    if switch is None:
        return CertificateCard(certificate, status, certificate_actions)
    return CertificateCard(
        certificate,
        status,
        certificate_actions,
        switch,
        switch.usage_text(),
        switch.revoke_text(actions.now),
    )


def with_wifi_use(cards: list[CertificateCard]) -> list[CertificateCard]:
    """``cards`` with their latest reported Wi-Fi login (one query, whatever their number)."""
    uses = last_wifi_use(card.certificate for card in cards)
    for card in cards:
        card.wifi = uses.get(card.certificate.pk)
    return cards


def switches_for(certificate: Certificate, now: datetime) -> dict[int, overlap.Switch]:
    """The overlap switch ``certificate`` is part of, old or new (for its detail page)."""
    if certificate.status != CertificateStatus.VALID or certificate.not_after <= now:
        return {}
    others = Certificate.objects.filter(
        Q(pk=certificate.superseded_by_id) | Q(superseded_by=certificate)
    ).select_related("issuer", "profile")
    return overlap.switches([certificate, *others], now)


def requests_with_history(person: Person):  # type: ignore[no-untyped-def]
    return (
        Request.objects.filter(person=person)
        .select_related("profile", "target", "certificate")
        .prefetch_related(
            Prefetch("transitions", queryset=RequestTransition.objects.order_by("at", "id"))
        )
        .order_by("-created_at", "-id")
    )


HISTORY_PAGE = 3  # requests shown at first; "Show older requests" adds this many
HISTORY_MAX = 200


def history_length(raw: str | None) -> int:
    """The ``?history=N`` parameter: how many requests the overview lists (3 to 200)."""
    try:
        wanted = int(raw or HISTORY_PAGE)
    except ValueError:
        wanted = HISTORY_PAGE
    return min(max(wanted, HISTORY_PAGE), HISTORY_MAX)


def overview(person: Person, now: datetime, *, history_limit: int = HISTORY_PAGE) -> Overview:
    """Every certificate of ``person`` with its status, open issue requests and the latest
    ``history_limit`` requests."""
    actions = actions_for(person, now=now)
    certificates = list(
        with_page_facts(Certificate.objects.filter(person=person), now)
        .select_related("issuer__parent", "profile")
        .order_by("-not_before", "-id")
    )
    switches = overlap.switches(certificates, now)
    actions.prepare(certificates)
    cards = with_wifi_use([card_for(c, actions, switches) for c in certificates])
    pending = [
        PendingIssue(request=r)
        for r in sorted(actions.unsettled, key=lambda r: (r.created_at, r.pk), reverse=True)
        if r.kind == RequestKind.ISSUE and r.state in OPEN_STATES and r.certificate_id is None
    ]
    requests = list(requests_with_history(person)[: history_limit + 1])
    return Overview(
        actions=actions,
        cards=cards,
        pending=pending,
        requests=requests[:history_limit],
        next_request=requests[history_limit] if len(requests) > history_limit else None,
        has_archived_keys=any(c.key_archived for c in certificates),
    )


def platform_from_user_agent(user_agent: str, platform_hint: str = "") -> str:
    """windows, macos, ios, android, linux or "" from the User-Agent / Sec-CH-UA-Platform."""
    hint = platform_hint.strip('"').lower()
    ua = user_agent.lower()
    if "android" in ua or hint == "android":
        return "android"
    if any(word in ua for word in ("iphone", "ipad", "ipod")) or hint == "ios":
        return "ios"
    if "mac os x" in ua or "macintosh" in ua or hint == "macos":
        return "macos"
    if "windows" in ua or hint == "windows":
        return "windows"
    if "linux" in ua or "x11" in ua or "cros" in ua or hint in ("linux", "chrome os"):
        return "linux"
    return ""


def browser_from_user_agent(user_agent: str) -> str:
    """Edge, Opera, Firefox, Chrome, Safari or "" (Chrome's User-Agent also names Safari, and
    Edge's and Opera's name Chrome: the most specific word wins)."""
    ua = user_agent.lower()
    for word, name in (
        ("edg/", "Edge"),
        ("opr/", "Opera"),
        ("firefox/", "Firefox"),
        ("fxios/", "Firefox"),
        ("crios/", "Chrome"),
        ("chrome/", "Chrome"),
        ("chromium/", "Chromium"),
        ("safari/", "Safari"),
    ):
        if word in ua:
            return name
    return ""


def device_label(platform: str, user_agent: str, names: dict[str, str]) -> str:
    """``Linux / Chrome``: the system and the browser actually in use, never a guess."""
    system = names.get(platform, "")
    browser = browser_from_user_agent(user_agent)
    return f"{system} / {browser}" if system and browser else system


def recommended_pkcs12(platform: str, user_agent: str, default: str = "compatible") -> str:
    """``modern`` (AES-256) only where it is known to open; ``compatible`` everywhere else.

    Android 13 and earlier and the macOS/iOS keychain reject AES-256 PKCS#12 with a misleading
    "wrong password"; Windows 10/11 (NT 10.0), NSS (Firefox) and OpenSSL 3 on Linux open it.
    """
    if platform == "linux":
        return "modern"
    if platform == "windows" and "windows nt 10" in user_agent.lower():
        return "modern"
    if platform in ("android", "ios", "macos", "windows"):
        return "compatible"
    return default
