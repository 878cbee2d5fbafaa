"""The one NUL test: strings, and keys and items of nested mappings, lists and tuples."""

from __future__ import annotations

import pytest

from jitsuin.access.nul import contains_nul


@pytest.mark.parametrize(
    "value",
    ["a\x00b", {"k\x00": "v"}, {"k": ["x", {"deep": "\x00"}]}, ("a", "\x00"), [["\x00"]]],
)
def test_a_nul_anywhere_is_found(value):
    assert contains_nul(value)


@pytest.mark.parametrize("value", ["abc", {"k": [1, 2.5, None, True]}, [], {}, 0, b"\x00"])
def test_no_nul_or_bytes_is_nothing(value):
    """Bytes are binary (an uploaded file): not text, not looked at."""
    assert not contains_nul(value)
