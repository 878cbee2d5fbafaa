"""The Wi-Fi profile formats: which builder makes each, which platforms it serves, and the one
recommended for each platform (docs/onboarding.md).

A builder is named by its module's dotted path (``build(inputs) -> ProfileFile``) and imported
when a profile is built, as connectors are: the registry can be read, listed and tested
without loading every builder (nor, for Apple, the profile signer).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.pki.onboarding._common import ProfileFile, ProfileInputs, SigningIdentity

# The platform keys of the portal's user-agent detection (portal.presenters), plus ChromeOS.
PLATFORMS: dict[str, Promise] = {
    "ios": _("iPhone / iPad"),
    "macos": _("Mac"),
    "android": _("Android"),
    "windows": _("Windows"),
    "chromeos": _("Chromebook (ChromeOS)"),
    "linux": _("Linux"),
}


@dataclass(frozen=True)
class ProfileFormat:
    name: str
    module: str  # the builder's module; it has build(inputs) -> ProfileFile
    label: Promise
    platforms: tuple[str, ...]
    # Where the format is signed (Apple): the module whose current_profile_signer(now=...)
    # gives the profile-signing key and certificate from jitsuin's hierarchy.
    signer_module: str = ""

    def builder(self) -> Callable[[ProfileInputs], ProfileFile]:
        build: Callable[[ProfileInputs], ProfileFile] = importlib.import_module(self.module).build
        return build

    def signer(self, now: datetime) -> SigningIdentity | None:
        if not self.signer_module:
            return None
        current: Callable[..., SigningIdentity] = importlib.import_module(
            self.signer_module
        ).current_profile_signer
        return current(now=now)


_PKI = "jitsuin.pki.onboarding"
FORMATS: dict[str, ProfileFormat] = {
    f.name: f
    for f in (
        ProfileFormat(
            "mobileconfig",
            f"{_PKI}.mobileconfig",
            _("Apple configuration profile (.mobileconfig)"),
            ("ios", "macos"),
            signer_module="jitsuin.authorities.profile_signer",
        ),
        ProfileFormat(
            "eap-config",
            f"{_PKI}.eap_config",
            _("geteduroam app profile (.eap-config)"),
            ("android", "windows", "ios", "macos", "linux"),
        ),
        ProfileFormat(
            "wlan-xml",
            f"{_PKI}.windows",
            _("Windows Wi-Fi profile and installer (.zip)"),
            ("windows",),
        ),
        ProfileFormat(
            "onc", f"{_PKI}.onc", _("ChromeOS network configuration (.onc)"), ("chromeos",)
        ),
        ProfileFormat(
            "networkmanager",
            f"{_PKI}.networkmanager",
            _("NetworkManager connection (Linux)"),
            ("linux",),
        ),
        ProfileFormat(
            "wpa-supplicant",
            f"{_PKI}.wpa_supplicant",
            _("wpa_supplicant configuration (Linux)"),
            ("linux",),
        ),
    )
}

# One tap where the platform allows it: Apple installs a profile itself; Android and Windows
# get the geteduroam app, which imports the certificate and the network in one step (a WLAN
# profile alone would leave the certificate import to the user).
RECOMMENDED = {
    "ios": "mobileconfig",
    "macos": "mobileconfig",
    "android": "eap-config",
    "windows": "eap-config",
    "chromeos": "onc",
    "linux": "networkmanager",
}

# What happens after the download, one line per platform (the portal shows it by the button).
SETUP_STEPS: dict[str, Promise] = {
    "ios": _(
        "Open Settings, tap “Profile Downloaded” and then Install; enter your device passcode, "
        "then the access PIN when it is asked for."
    ),
    "macos": _(
        "Open System Settings > Privacy & Security > Profiles, double-click the downloaded "
        "profile and press Install; enter the access PIN when it is asked for."
    ),
    "android": _(
        "Install the geteduroam app from Google Play, then open the downloaded file with it: "
        "the app installs the certificate and the Wi-Fi settings."
    ),
    "windows": _(
        "Install the geteduroam app (geteduroam.app), then open the downloaded file with it: "
        "the app installs the certificate and the Wi-Fi settings."
    ),
    "chromeos": _(
        "Open chrome://network, choose “Import ONC file”, pick the downloaded file and enter "
        "the access PIN when it is asked for."
    ),
    "linux": _(
        "Copy the .nmconnection file (unzip it first if several networks came as a .zip) to "
        "/etc/NetworkManager/system-connections/ as root with mode 600, then run "
        "“nmcli connection reload”."
    ),
}


def get(name: str) -> ProfileFormat:
    """The format called ``name``, else NotAllowed naming it."""
    found = FORMATS.get(name)
    if found is None:
        raise NotAllowed(
            gettext("Unknown Wi-Fi profile format: %(name)s") % {"name": name},
            code="unknown_profile_format",
        )
    return found


def names() -> list[str]:
    return list(FORMATS)


def device_platform(platform: str, user_agent: str) -> str:
    """The portal's platform key, with ChromeOS told apart from Linux (``CrOS`` in the UA)."""
    if "cros" in user_agent.lower():
        return "chromeos"
    return platform


def recommended_for(platform: str) -> ProfileFormat | None:
    name = RECOMMENDED.get(platform)
    return FORMATS[name] if name else None


def alternatives_for(platform: str) -> list[ProfileFormat]:
    """The other formats that serve ``platform``, in the registry's order."""
    best = RECOMMENDED.get(platform)
    return [f for f in FORMATS.values() if platform in f.platforms and f.name != best]
