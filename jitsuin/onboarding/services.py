"""Build one person's Wi-Fi profile from their ready pickup (docs/onboarding.md).

A profile embeds the private key, so building one is a download of the pickup: only inside
its window, counted, the first one marks the request collected, audited. The builders in
``jitsuin.pki.onboarding`` lay the inputs out; this module gathers them.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.config import current
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import Person, Pickup
from jitsuin.lifecycle.pickups import ProfileMaterial, collect_for_profile
from jitsuin.onboarding import formats
from jitsuin.onboarding.server import WifiServer, wifi_identities, wifi_server
from jitsuin.pki.onboarding._common import Helpdesk, ProfileFile, ProfileInputs, SigningIdentity
from jitsuin.pki.onboarding.realm import identifier_for


def offered() -> bool:
    """Whether the portal offers profiles: the Wi-Fi server is set (or the demo's stand-in)."""
    return wifi_server() is not None


def _server_or_refuse() -> WifiServer:
    server = wifi_server()
    if server is None:
        raise NotAllowed(
            _(
                "Wi-Fi profiles are not available yet: the IT center has not set the Wi-Fi "
                "server. Download the .p12 file and follow the import guide instead."
            ),
            code="onboarding_not_configured",
        )
    return server


def _inputs(
    material: ProfileMaterial,
    uid: str,
    server: WifiServer,
    *,
    signer: SigningIdentity | None,
) -> ProfileInputs:
    config = current()
    identity, anonymous = wifi_identities(uid, server.realm)
    return ProfileInputs(
        key=material.key,
        certificate=material.certificate,
        chain=material.chain,
        pkcs12=material.pkcs12,
        pin=material.pin,
        identity=identity,
        anonymous_identity=anonymous,
        ssids=config.portal.wifi_networks,
        server_names=server.names,
        server_cas=server.cas,
        institution=config.notify.institution,
        helpdesk=Helpdesk(email=config.helpdesk_email),
        identifier=identifier_for(server.realm or urlsplit(config.public_url).hostname or ""),
        realm=server.realm,
        signer=signer,
    )


def build_profile(
    pickup: Pickup, fmt: str, *, actor: str, now: datetime | None = None
) -> ProfileFile:
    """The profile in format ``fmt`` for the pickup's owner; a download of the pickup.

    Refuses (NotAllowed) an unknown format or while the Wi-Fi server is not set, and
    (PickupGone) outside the window. Audited ``onboarding.profile_built`` (never the PIN).
    """
    now = now or timezone.now()
    profile_format = formats.get(fmt)
    server = _server_or_refuse()
    build = profile_format.builder()
    # One transaction: a profile that fails to build is no download.
    with transaction.atomic():
        material = collect_for_profile(pickup, actor=actor, fmt=fmt, now=now)
        uid = Person.objects.values_list("uid", flat=True).get(certificates__pickups=pickup)
        inputs = _inputs(material, uid, server, signer=profile_format.signer(now))
        built = build(inputs)
        record(
            "onboarding.profile_built",
            actor=actor,
            obj=pickup,
            at=now,
            data={
                "format": fmt,
                "serial": pickup.certificate.serial,
                "filename": built.filename,
                "ssids": list(inputs.ssids),
                "server_names": list(inputs.server_names),
                "identity": inputs.identity,
                "signed": inputs.signer is not None,
                "demo": server.demo,
            },
        )
    return built
