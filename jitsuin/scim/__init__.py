"""SCIM 2.0 provisioning at /scim/v2 (RFC 7643/7644): identity managers keep people up to date."""
