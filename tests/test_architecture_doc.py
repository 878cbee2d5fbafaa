"""docs/architecture.md names modules and functions: each must exist, so the walk stays true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
# `lifecycle/certificates.py:record_issued`, `jitsuin/wsgi.py:OcspWsgi`, `crl.py` (a path only)
REFERENCE = re.compile(r"`((?:jitsuin/|tests/)?[a-z_/]+\.py)(?::([A-Za-z_.]+))?`")


def _source_path(path: str) -> Path:
    return ROOT / path if path.startswith(("jitsuin/", "tests/")) else ROOT / "jitsuin" / path


def _defined_names(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _references() -> list[tuple[str, str | None]]:
    return REFERENCE.findall(DOC.read_text(encoding="utf-8"))


def test_the_architecture_page_names_many_modules():
    assert len(_references()) > 40


def test_every_module_and_function_the_architecture_page_names_exists():
    missing = []
    for path, name in _references():
        if "/" not in path:  # a bare file name continues the module named just before it
            continue
        source = _source_path(path)
        if not source.is_file():
            missing.append(path)
            continue
        if name and name.split(".")[-1] not in _defined_names(source):
            missing.append(f"{path}:{name}")
    assert missing == []
