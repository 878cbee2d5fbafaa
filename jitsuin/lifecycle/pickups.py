"""One-time PKCS#12 pickup: built once, same bytes on every download, destroyed at expiry."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from cryptography import x509
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.lifecycle import transitions
from jitsuin.lifecycle.errors import NotAllowed, PickupGone
from jitsuin.lifecycle.models import (
    Certificate,
    KeyRecovery,
    Pickup,
    PickupState,
    Pkcs12Choice,
    Request,
    RequestState,
)
from jitsuin.lifecycle.row_updates import update_each
from jitsuin.pki.keys import PrivateKey
from jitsuin.pki.pkcs12 import Pkcs12Profile, build_pkcs12, generate_pin, load_pkcs12
from jitsuin.row_inserts import insert_rows
from jitsuin.sealing import seal, unseal

T = TypeVar("T")

PURPOSE_PKCS12 = "pickup-pkcs12"
PURPOSE_PIN = "pickup-pin"


def friendly_name(certificate: Certificate) -> str:
    return f"{certificate.person.uid} {certificate.serial}"


def create_pickup(
    request: Request | None,
    certificate: Certificate,
    *,
    key: PrivateKey,
    leaf: x509.Certificate,
    chain: Sequence[x509.Certificate],
    now: datetime,
    recovery: KeyRecovery | None = None,
) -> Pickup:
    """Seal the compatible PKCS#12 and a fresh PIN; the modern one is made on first ask.

    For an issuance ``request``; for a key recovery (lifecycle.recovery) ``recovery`` and no
    request: the same one-time download with a new PIN, in the profile's pickup window.
    """
    made = PickupToMake(request, certificate, key, leaf, chain)
    return create_pickups([made], now=now, recovery=recovery)[0]


@dataclass(frozen=True)
class PickupToMake:
    """One pickup of ``create_pickups``: what ``create_pickup`` takes."""

    request: Request | None
    certificate: Certificate
    key: PrivateKey
    leaf: x509.Certificate
    chain: Sequence[x509.Certificate]


def create_pickups(
    items: list[PickupToMake], *, now: datetime, recovery: KeyRecovery | None = None
) -> list[Pickup]:
    """``create_pickup`` for several certificates issued together: one INSERT, one UPDATE."""
    pins = [generate_pin() for _item in items]
    data = [
        build_pkcs12(
            key=item.key,
            certificate=item.leaf,
            chain=item.chain,
            pin=pin,
            friendly_name=friendly_name(item.certificate),
            profile=Pkcs12Profile.COMPATIBLE,
        )
        for item, pin in zip(items, pins, strict=True)
    ]
    # Called inside the issuing transaction: the insert and the sealing commit together.
    made = [
        Pickup(
            request=item.request,
            recovery=recovery,
            certificate=item.certificate,
            state=PickupState.READY,
            expires_at=now + item.certificate.profile.pickup_window,
        )
        for item in items
    ]
    insert_rows(made)
    # Sealed after the insert: the blobs are bound to the row's id.
    for pickup, blob, pin in zip(made, data, pins, strict=True):
        pickup.sealed_pkcs12_compatible = _seal(pickup, blob, PURPOSE_PKCS12)
        pickup.sealed_pin = _seal(pickup, pin.encode(), PURPOSE_PIN)
    update_each(
        Pickup,
        {
            p.pk: {
                "sealed_pkcs12_compatible": p.sealed_pkcs12_compatible,
                "sealed_pin": p.sealed_pin,
            }
            for p in made
        },
    )
    return made


def _seal(pickup: Pickup, data: bytes, purpose: str) -> bytes:
    """Sealed for this pickup row only: a blob copied into another row does not open."""
    return seal(data, purpose=purpose, bound_to=f"pickup:{pickup.pk}")


def _open(pickup: Pickup, sealed: bytes | memoryview, purpose: str) -> bytes:
    return unseal(bytes(sealed), purpose=purpose, bound_to=f"pickup:{pickup.pk}")


def _gone(pickup: Pickup, now: datetime) -> bool:
    return pickup.state == PickupState.DESTROYED or pickup.expires_at <= now


def _gone_error(pickup: Pickup) -> PickupGone:
    return PickupGone(
        _(
            "The download period ended on %(date)s and the file and its key were destroyed. "
            "Ask for a new certificate."
        )
        % {"date": timezone.localtime(pickup.expires_at).strftime("%Y-%m-%d %H:%M")}
    )


def _modern_from(pickup: Pickup) -> bytes:
    pin = _open(pickup, pickup.sealed_pin, PURPOSE_PIN).decode()
    compatible = _open(pickup, pickup.sealed_pkcs12_compatible, PURPOSE_PKCS12)
    contents = load_pkcs12(compatible, pin)
    return build_pkcs12(
        key=contents.key,
        certificate=contents.certificate,
        chain=contents.chain,
        pin=pin,
        friendly_name=contents.friendly_name,
        profile=Pkcs12Profile.MODERN,
    )


def collect_pickup(
    pickup: Pickup, *, actor: str, pkcs12_profile: str = "compatible", now: datetime | None = None
) -> bytes:
    """The PKCS#12 file; every call inside the window returns identical bytes per profile.

    The first download marks the request collected. Under overlap it starts nothing: the
    replaced certificate's grace runs from the new one's first use (lifecycle.overlap).
    """
    now = now or timezone.now()
    if pkcs12_profile not in Pkcs12Choice.values:
        raise NotAllowed(_("Unknown PKCS#12 format: %(name)s") % {"name": pkcs12_profile})
    built = None
    if pkcs12_profile == Pkcs12Choice.MODERN and connection.vendor != "postgresql":
        # PBKDF2 with 600,000 rounds takes about a second. On SQLite a write transaction
        # locks the whole database, so build it before, once per pickup in this process
        # (concurrent first downloads wait for the one build, then find it stored).
        with _single_flight(pickup.pk):
            current = Pickup.objects.get(pk=pickup.pk)
            if _gone(current, now):
                raise _gone_error(current)
            if current.sealed_pkcs12_modern is None:
                built = _modern_from(current)
                return _collect(pickup, actor, pkcs12_profile, now, built)
    # On PostgreSQL the row lock is the single flight: the first download builds the file
    # under it, the others wait and read the stored one (50 at once: one PBKDF2, not 50).
    return _collect(pickup, actor, pkcs12_profile, now, built)


_flights: dict[int, threading.Lock] = {}
_flights_guard = threading.Lock()


@contextmanager
def _single_flight(key: int) -> Iterator[None]:
    with _flights_guard:
        lock = _flights.setdefault(key, threading.Lock())
    with lock:
        yield


def _collect(
    pickup: Pickup, actor: str, pkcs12_profile: str, now: datetime, built: bytes | None
) -> bytes:
    def read(locked: Pickup) -> bytes:
        if pkcs12_profile != Pkcs12Choice.MODERN:
            return _open(locked, locked.sealed_pkcs12_compatible, PURPOSE_PKCS12)
        if locked.sealed_pkcs12_modern is not None:
            # The first stored one wins: every download returns the same bytes.
            return _open(locked, locked.sealed_pkcs12_modern, PURPOSE_PKCS12)
        # Only built here when the stored one vanished in between (or on PostgreSQL).
        data = built if built is not None else _modern_from(locked)
        locked.sealed_pkcs12_modern = _seal(locked, data, PURPOSE_PKCS12)
        return data

    return _download(pickup, actor=actor, fmt=pkcs12_profile, now=now, read=read)


def _download(
    pickup: Pickup, *, actor: str, fmt: str, now: datetime, read: Callable[[Pickup], T]
) -> T:
    """One counted download of ``fmt``: ``read`` gets the locked pickup inside the window.

    The first download marks the pickup and its request collected; each one is audited as
    ``pickup.downloaded`` with its format (never the PIN or the key).
    """
    with transaction.atomic():
        # Only the pickup row: a recovery's pickup has no request (an outer join, which
        # PostgreSQL does not lock); the request is locked by its own transition.
        pickup = (
            Pickup.objects.select_for_update(of=("self",))
            .select_related("request__profile", "certificate")
            .get(pk=pickup.pk)
        )
        if _gone(pickup, now):
            raise _gone_error(pickup)
        data = read(pickup)
        first = pickup.download_count == 0
        pickup.download_count += 1
        pickup.last_downloaded_at = now
        if first:
            pickup.first_downloaded_at = now
            pickup.state = PickupState.COLLECTED
        pickup.save()
        record(
            "pickup.downloaded",
            actor=actor,
            obj=pickup,
            at=now,
            data={
                "serial": pickup.certificate.serial,
                "format": fmt,
                "count": pickup.download_count,
            },
        )
        if first and pickup.request is not None:
            request = pickup.request
            if request.state == RequestState.READY:
                transitions.transition(request, RequestState.COLLECTED, actor=actor, now=now)
        return data


@dataclass(frozen=True)
class ProfileMaterial:
    """What a Wi-Fi profile embeds: the key, its certificate and chain (no root), and the
    compatible PKCS#12 of them with its PIN (the one the download page shows)."""

    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    pkcs12: bytes = field(repr=False)
    pin: str = field(repr=False)


def collect_for_profile(
    pickup: Pickup, *, actor: str, fmt: str, now: datetime | None = None
) -> ProfileMaterial:
    """The pickup's key and certificate for an onboarding profile in format ``fmt``.

    The same rules as ``collect_pickup``: only inside the window, counted as a download
    (the first marks the request collected) and audited ``pickup.downloaded`` with ``fmt``.
    """

    def read(locked: Pickup) -> ProfileMaterial:
        if locked.sealed_pin is None or locked.sealed_pkcs12_compatible is None:
            raise _gone_error(locked)
        pin = _open(locked, locked.sealed_pin, PURPOSE_PIN).decode()
        data = _open(locked, locked.sealed_pkcs12_compatible, PURPOSE_PKCS12)
        contents = load_pkcs12(data, pin)
        # Devices hold the root already (or are given it as the server's trust): not embedded.
        chain = tuple(c for c in contents.chain if c.issuer != c.subject)
        return ProfileMaterial(
            key=contents.key, certificate=contents.certificate, chain=chain, pkcs12=data, pin=pin
        )

    return _download(pickup, actor=actor, fmt=fmt, now=now or timezone.now(), read=read)


def reveal_pin(pickup: Pickup, *, actor: str) -> str:
    """The access PIN, for its owner's eyes only (callers check ownership); never logged."""
    with transaction.atomic():
        pickup = Pickup.objects.select_for_update().get(pk=pickup.pk)
        if pickup.state == PickupState.DESTROYED or pickup.sealed_pin is None:
            raise _gone_error(pickup)
        record("pickup.pin_revealed", actor=actor, obj=pickup, data={})
        return _open(pickup, pickup.sealed_pin, PURPOSE_PIN).decode()


def destroy(pickup: Pickup, *, actor: str, now: datetime) -> Pickup:
    """Wipe the PKCS#12 files and the PIN (the only copies of the private key)."""
    pickup.sealed_pkcs12_compatible = None
    pickup.sealed_pkcs12_modern = None
    pickup.sealed_pin = None
    pickup.state = PickupState.DESTROYED
    pickup.destroyed_at = now
    pickup.save()
    record(
        "pickup.destroyed",
        actor=actor,
        obj=pickup,
        at=now,
        data={"serial": pickup.certificate.serial, "downloads": pickup.download_count},
    )
    return pickup
