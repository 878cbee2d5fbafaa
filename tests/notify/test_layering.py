"""notify sits below revocation: revocation imports notify, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import jitsuin.notify


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_notify_never_imports_the_revocation_app():
    package = Path(jitsuin.notify.__file__).parent
    sources = [p for p in package.rglob("*.py") if "migrations" not in p.parts]
    assert sources
    offenders = {
        str(p.relative_to(package)): sorted(
            n for n in _imports(p) if n.startswith("jitsuin.revocation")
        )
        for p in sources
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_revocation_app_tells_notify_when_crls_show_a_revocation():
    from jitsuin.authorities.publishing import crl as publishing
    from jitsuin.notify import hooks

    assert hooks._crl_visibility is publishing.crl_visibility
