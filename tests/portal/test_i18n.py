"""Japanese is first-class: every message of every catalog has a translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import jitsuin

PACKAGE = Path(jitsuin.__file__).parent
# Every app's catalog and the project's own (jitsuin/locale: the shared layout).
CATALOGS = sorted(PACKAGE.glob("*/locale/ja/LC_MESSAGES/django.po")) + [
    PACKAGE / "locale/ja/LC_MESSAGES/django.po"
]


def _entries(text: str) -> list[tuple[str, str]]:
    pairs = []
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid (".*"(?:\n".*")*)', block, re.M)
        msgstr = re.search(r'^msgstr (".*"(?:\n".*")*)', block, re.M)
        if msgid and msgstr:
            join = lambda m: "".join(re.findall(r'"(.*)"', m.group(1)))  # noqa: E731
            pairs.append((join(msgid), join(msgstr)))
    return pairs


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-5])  # the app, or jitsuin
def test_every_message_is_translated_and_compiled(path):
    text = path.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    untranslated = [msgid for msgid, msgstr in _entries(text) if msgid and not msgstr]
    assert untranslated == []
    compiled = path.with_suffix(".mo")
    assert compiled.exists() and compiled.stat().st_mtime >= path.stat().st_mtime - 1


@pytest.mark.django_db
def test_the_language_switcher_changes_the_language(client, ca_hierarchy):
    page = client.get("/help/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Frequently asked questions" in page.content.decode()
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/help/"})
    assert response.status_code == 302
    assert "よくある質問" in client.get("/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
