"""Wi-Fi (EAP-TLS) onboarding profiles for each platform, built from one person's pickup.

Each format module has ``build(inputs: ProfileInputs) -> ProfileFile``. ``FORMATS`` names them
in the order the portal offers them.
"""

from __future__ import annotations

from jitsuin.pki.onboarding._common import Helpdesk, ProfileFile, ProfileInputs, SigningIdentity

__all__ = ["Helpdesk", "ProfileFile", "ProfileInputs", "SigningIdentity"]
