"""The RA: people, profiles, certificates, issue and revoke requests, pickups."""
