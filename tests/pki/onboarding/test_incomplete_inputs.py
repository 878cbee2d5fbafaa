"""Every builder refuses a profile without SSIDs, server names or the server's CA.

Android 11 QPR1 and later refuse such networks outright, and everywhere else a profile without
a CA and a server name would trust any RADIUS server (FIELD-NOTES).
"""

from __future__ import annotations

import dataclasses

import pytest

from jitsuin.pki.onboarding import networkmanager, onc, windows, wpa_supplicant

BUILDERS = [wpa_supplicant.build, networkmanager.build, windows.build, onc.build]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__module__.rsplit(".", 1)[-1])
@pytest.mark.parametrize("missing", ["ssids", "server_names", "server_cas"])
def test_a_profile_without_ssids_names_or_ca_is_refused(inputs, build, missing):
    with pytest.raises(ValueError, match="needs SSIDs, server names and the server's CA"):
        build(dataclasses.replace(inputs, **{missing: ()}))
