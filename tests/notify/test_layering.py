"""notify sits below revocation, publishing and lifecycle: they import notify, never the
other way round."""

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


def _imported_names(path: Path) -> set[str]:
    """Every module or module.name imported, so ``from a import b`` reads ``a.b``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_notify_never_imports_the_lifecycle_or_the_publishing_engine():
    """notify sends what it is asked to; lifecycle composes its e-mails and calls it by name."""
    package = Path(jitsuin.notify.__file__).parent
    sources = [p for p in package.rglob("*.py") if "migrations" not in p.parts]
    above = ("jitsuin.lifecycle.", "jitsuin.authorities.")
    offenders = {
        str(p.relative_to(package)): sorted(n for n in _imported_names(p) if n.startswith(above))
        for p in sources
    }
    assert {k: v for k, v in offenders.items() if v} == {}
