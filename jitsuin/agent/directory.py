"""The CA directory relying parties read, in the sync script's layout (docs/relying-parties.md):

    DIR/roots.pem        the pinned roots (FreeRADIUS ca_file, nginx ssl_client_certificate)
    DIR/crls.pem         every CA's CRL (nginx ssl_crl)
    DIR/hashed/          roots as <hash>.N, CRLs as <hash>.rN (FreeRADIUS ca_path, -CApath)
    DIR/cas.pem          every CA certificate jitsuin served (to check the next set against)
    DIR/agent.json       the validators of the last answers, for conditional GETs

A new set is built beside DIR and renamed into place, so a reader sees the old set or the
new one; the files are world-readable (public data, read by radiusd or nginx workers).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jitsuin.agent.hashing import subject_hash


@dataclass(frozen=True)
class LoadedSet:
    roots_pem: bytes = b""
    crls_pem: bytes = b""
    cas_pem: bytes = b""
    validators: dict[str, dict[str, str]] = field(default_factory=dict)


def read(target: Path) -> LoadedSet:
    """What is in ``target`` now (empty when nothing was ever written)."""

    def text(name: str) -> bytes:
        try:
            return (target / name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return b""

    try:
        validators = json.loads(text("agent.json") or b"{}").get("validators", {})
    except ValueError:
        validators = {}
    return LoadedSet(text("roots.pem"), text("crls.pem"), text("cas.pem"), validators)


def _hashed_files(
    roots: list[x509.Certificate], crls: list[x509.CertificateRevocationList]
) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for root in roots:
        stem = subject_hash(root.subject)
        index = sum(1 for name in files if name.startswith(stem + "."))
        files[f"{stem}.{index}"] = root.public_bytes(Encoding.PEM)
    for crl in crls:
        stem = subject_hash(crl.issuer)
        index = sum(1 for name in files if name.startswith(stem + ".r"))
        files[f"{stem}.r{index}"] = crl.public_bytes(Encoding.PEM)
    return files


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o644)


def _state(validators: dict[str, dict[str, str]]) -> bytes:
    return json.dumps({"validators": validators}, indent=2, sort_keys=True).encode() + b"\n"


def write(
    target: Path,
    new: LoadedSet,
    *,
    roots: list[x509.Certificate],
    crls: list[x509.CertificateRevocationList],
) -> None:
    """Replace ``target`` with ``new`` as one rename (the old set is removed afterwards)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp.", dir=target.parent))
    try:
        staging.chmod(0o755)
        _write(staging / "roots.pem", new.roots_pem)
        _write(staging / "crls.pem", new.crls_pem)
        _write(staging / "cas.pem", new.cas_pem)
        _write(staging / "agent.json", _state(new.validators))
        hashed = staging / "hashed"
        hashed.mkdir()
        hashed.chmod(0o755)
        for name, data in _hashed_files(roots, crls).items():
            _write(hashed / name, data)
        _write(hashed / ".given", b"")
        old = target.with_name(f"{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remember(target: Path, new: LoadedSet) -> None:
    """Update the CA list and validators in place (nothing a relying party reads changed)."""
    for name, data in (("cas.pem", new.cas_pem), ("agent.json", _state(new.validators))):
        temporary = target / f".{name}.tmp"
        _write(temporary, data)
        os.replace(temporary, target / name)
