"""NUL characters in what a caller sends: PostgreSQL cannot store them in text (SQLite can).

One test for every way input arrives: the middleware's paths, queries and form fields
(portal.uploads), the API's JSON bodies (api.schemas) and SCIM's (scim.views). Each refuses
with its own answer; none lets a NUL reach a query, where it was a 500 on one database only.
"""

from __future__ import annotations

from collections.abc import Mapping


def contains_nul(value: object) -> bool:
    """A NUL in ``value``: a string, or any key or item of nested mappings and lists."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(contains_nul(key) or contains_nul(inner) for key, inner in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(inner) for inner in value)
    return False
