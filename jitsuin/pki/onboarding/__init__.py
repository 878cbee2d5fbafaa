"""Wi-Fi (EAP-TLS) onboarding profiles, Django-free: one builder module per format.

Every builder is ``build(setup: WifiSetup) -> Profile`` (the Apple one also takes the
signer). The Django side (``jitsuin.onboarding``) gathers a ``WifiSetup`` from a ready
pickup and the settings; see docs/onboarding.md.
"""
