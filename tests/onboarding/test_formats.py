"""The registry of profile formats: each builder exists, each platform has its best format."""

from __future__ import annotations

import pytest

from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.onboarding import formats

EXPECTED = ["mobileconfig", "eap-config", "wlan-xml", "onc", "networkmanager", "wpa-supplicant"]


def test_the_registry_names_the_six_formats():
    assert formats.names() == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_every_format_has_a_builder_a_label_and_platforms(name):
    fmt = formats.get(name)
    assert callable(fmt.builder())
    assert str(fmt.label) and set(fmt.platforms) <= set(formats.PLATFORMS)


def test_every_platform_has_a_recommended_format_that_serves_it_and_steps():
    for platform in formats.PLATFORMS:
        best = formats.recommended_for(platform)
        assert best is not None and platform in best.platforms
        assert str(formats.SETUP_STEPS[platform])
        assert best not in formats.alternatives_for(platform)


def test_apple_gets_a_signed_profile_android_and_windows_the_geteduroam_app():
    assert formats.RECOMMENDED["ios"] == formats.RECOMMENDED["macos"] == "mobileconfig"
    assert formats.get("mobileconfig").signer_module
    assert formats.RECOMMENDED["android"] == formats.RECOMMENDED["windows"] == "eap-config"
    assert [f.name for f in formats.alternatives_for("windows")] == ["wlan-xml"]
    assert formats.recommended_for("") is None


def test_a_chromebook_is_told_apart_from_linux():
    cros = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 Chrome/125.0 Safari/537.36"
    assert formats.device_platform("linux", cros) == "chromeos"
    assert formats.device_platform("linux", "Mozilla/5.0 (X11; Linux x86_64)") == "linux"


def test_an_unknown_format_is_refused_naming_it():
    with pytest.raises(NotAllowed, match="exe"):
        formats.get("exe")
