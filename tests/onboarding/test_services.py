"""build_profile: a counted, audited download of the pickup, refused outside its rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.errors import NotAllowed, PickupGone
from jitsuin.lifecycle.models import PickupState, RequestState
from jitsuin.lifecycle.services import reveal_pin
from jitsuin.onboarding.services import build_profile
from tests.onboarding.conftest import SERVER_NAMES

pytestmark = pytest.mark.django_db


def test_a_profile_is_a_counted_download_that_collects_the_request(wifi, pickup):
    built = build_profile(pickup, "wpa-supplicant", actor="user:alice")
    text = built.data.decode()
    assert "alice@example.ac.jp" in text and "anonymous@example.ac.jp" in text
    assert all(name in text for name in SERVER_NAMES)
    pickup.refresh_from_db()
    assert pickup.download_count == 1 and pickup.state == PickupState.COLLECTED
    assert pickup.request.state == RequestState.COLLECTED
    build_profile(pickup, "networkmanager", actor="user:alice")
    pickup.refresh_from_db()
    assert pickup.download_count == 2


def test_building_is_audited_with_the_format_and_never_the_pin(wifi, pickup):
    pin = reveal_pin(pickup, actor="user:alice")
    build_profile(pickup, "networkmanager", actor="user:alice")
    downloaded = AuditEvent.objects.get(action="pickup.downloaded")
    built = AuditEvent.objects.get(action="onboarding.profile_built")
    assert downloaded.data["format"] == "networkmanager"
    assert built.data["format"] == "networkmanager" and built.actor == "user:alice"
    assert built.data["identity"] == "alice@example.ac.jp"
    assert built.data["server_names"] == list(SERVER_NAMES)
    for event in AuditEvent.objects.all():
        assert pin not in str(event.data)


def test_outside_the_window_no_profile_is_built_and_nothing_is_counted(wifi, pickup):
    later = pickup.expires_at + timedelta(seconds=1)
    with pytest.raises(PickupGone):
        build_profile(pickup, "wpa-supplicant", actor="user:alice", now=later)
    pickup.refresh_from_db()
    assert pickup.download_count == 0
    assert not AuditEvent.objects.filter(action="onboarding.profile_built").exists()


def test_unconfigured_wifi_is_refused_before_the_pickup_is_touched(pickup):
    with pytest.raises(NotAllowed) as refused:
        build_profile(pickup, "wpa-supplicant", actor="user:alice")
    assert refused.value.code == "onboarding_not_configured"
    pickup.refresh_from_db()
    assert pickup.download_count == 0


def test_an_unknown_format_is_refused_naming_it(wifi, pickup):
    with pytest.raises(NotAllowed, match="Wi-Fi .*: exe$") as refused:
        build_profile(pickup, "exe", actor="user:alice")
    assert refused.value.code == "unknown_profile_format"


def test_the_refusal_speaks_japanese(pickup):
    from django.utils import translation

    with translation.override("ja"), pytest.raises(NotAllowed) as refused:
        build_profile(pickup, "onc", actor="user:alice")
    assert str(refused.value.message).startswith("Wi-Fi プロファイルはまだ利用できません")


def test_a_failing_build_is_no_download(wifi, pickup, monkeypatch):
    from jitsuin.onboarding import formats

    def broken(self):  # type: ignore[no-untyped-def]
        def build(inputs):  # type: ignore[no-untyped-def]
            raise RuntimeError("builder failed")

        return build

    monkeypatch.setattr(formats.ProfileFormat, "builder", broken)
    with pytest.raises(RuntimeError):
        build_profile(pickup, "onc", actor="user:alice", now=timezone.now())
    pickup.refresh_from_db()
    assert pickup.download_count == 0 and pickup.state == PickupState.READY


def test_the_apple_profile_is_signed_by_the_profile_signer(wifi, pickup):
    built = build_profile(pickup, "mobileconfig", actor="user:alice")
    assert built.content_type == "application/x-apple-aspen-config"
    assert built.data[:1] == b"\x30"  # CMS SignedData (DER), not a bare plist
    assert AuditEvent.objects.get(action="onboarding.profile_built").data["signed"] is True


def test_the_geteduroam_profile_names_the_identity_and_the_helpdesk(wifi, pickup):
    built = build_profile(pickup, "eap-config", actor="user:alice")
    text = built.data.decode()
    assert "<EAPIdentityProviderList" in text and "anonymous@example.ac.jp" in text
    assert "help@example.ac.jp" in text and "Example University" in text
