"""Wi-Fi onboarding: profiles per platform from the pickup (docs/onboarding.md)."""
