"""Names that break naive quoting: quotes, newlines, semicolons, braces, non-ASCII, blanks."""

from __future__ import annotations

HOSTILE_SSIDS = (
    'Café "Guest"; 1',
    "line\nbreak}\nnetwork={",
    " 研究室 Wi-Fi ",
    "12345",
    "back\\slash#hash",
)
HOSTILE_IDENTITY = 's"2310042\n}\nnetwork={;山田@example.ac.jp'
