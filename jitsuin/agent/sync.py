"""One sync: fetch, check, and only then write; the last good set stays on any failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jitsuin.agent import directory
from jitsuin.agent.checking import (
    Freshness,
    Refused,
    check_set,
    display,
    load_pinned,
    parse_certificates,
    parse_crls,
)
from jitsuin.agent.fetching import FetchFailed, Validators, get
from jitsuin.pki.crl import crl_number_of

CA_BUNDLE = "/ca/bundle.pem"
CRL_BUNDLE = "/crl/bundle.pem"


@dataclass(frozen=True)
class Source:
    url: str  # jitsuin's public URL, e.g. https://pki.example.ac.jp
    pinned_roots: bytes  # the --roots file's content
    target: Path
    skew: timedelta = timedelta(minutes=5)
    timeout: float = 30.0


@dataclass(frozen=True)
class Outcome:
    ok: bool
    changed: bool  # what relying parties read changed: reload them
    lines: tuple[str, ...]  # one per change, or the one failure


def _fetch(
    source: Source, path: str, held: directory.LoadedSet, held_body: bytes
) -> tuple[bytes, dict[str, str]]:
    saved = held.validators.get(path, {}) if held_body else {}
    known = Validators(str(saved.get("etag", "")), str(saved.get("last_modified", "")))
    answer = get(source.url.rstrip("/") + path, known, timeout=source.timeout)
    body = held_body if answer.body is None else answer.body
    return body, {"etag": answer.validators.etag, "last_modified": answer.validators.last_modified}


def crl_number(crl: x509.CertificateRevocationList) -> int | None:
    """The CRL's number; None for a CRL without one."""
    try:
        return crl_number_of(crl)
    except x509.ExtensionNotFound:
        return None


def _number(crl: x509.CertificateRevocationList) -> str:
    number = crl_number(crl)
    return "(no number)" if number is None else str(number)


def _changes(
    old: list[x509.CertificateRevocationList],
    new: list[x509.CertificateRevocationList],
    old_roots: list[x509.Certificate],
    new_roots: list[x509.Certificate],
) -> list[str]:
    lines = []
    if old_roots != new_roots:
        lines.append("trust anchors: " + ", ".join(display(r.subject) for r in new_roots))
    before = {crl.issuer.public_bytes(): crl for crl in old}
    for crl in new:
        previous = before.get(crl.issuer.public_bytes())
        if previous is not None and previous == crl:
            continue
        was = f"was {_number(previous)}; " if previous is not None else ""
        lines.append(
            f"loaded CRL {_number(crl)} of {display(crl.issuer)} ({was}"
            f"{len(crl)} revoked, next update {crl.next_update_utc:%FT%TZ})"
        )
    return lines


def _kept(held: directory.LoadedSet) -> str:
    return "kept the last good set" if held.crls_pem else "nothing written"


def sync_once(source: Source, *, now: datetime) -> Outcome:
    """Fetch jitsuin's CA certificates and CRLs, check them against the pinned roots at ``now``
    and write them to ``source.target`` when they differ from what is there."""
    try:
        held = directory.read(source.target)
    except OSError as exc:
        return Outcome(False, False, (f"nothing written: cannot read {source.target}: {exc}",))
    try:
        pinned = load_pinned(source.pinned_roots)
        held_crls = parse_crls(held.crls_pem, "the loaded set")
        held_roots = parse_certificates(held.roots_pem, "the loaded set")
        cas_pem, ca_validators = _fetch(source, CA_BUNDLE, held, held.cas_pem)
        crls_pem, crl_validators = _fetch(source, CRL_BUNDLE, held, held.crls_pem)
        crls = parse_crls(crls_pem, "jitsuin's CRL bundle")
        check_set(
            crls,
            pinned=pinned,
            cas=parse_certificates(cas_pem, "jitsuin's CA bundle"),
            loaded=held_crls,
            freshness=Freshness(now, source.skew),
        )
    except (FetchFailed, Refused) as exc:
        return Outcome(False, False, (f"{_kept(held)}: {exc}",))
    roots_pem = b"".join(root.public_bytes(Encoding.PEM) for root in pinned)
    new = directory.LoadedSet(
        roots_pem, crls_pem, cas_pem, {CA_BUNDLE: ca_validators, CRL_BUNDLE: crl_validators}
    )
    if new.roots_pem == held.roots_pem and new.crls_pem == held.crls_pem:
        if new != held:
            directory.remember(source.target, new)
        return Outcome(True, False, ())
    try:
        directory.write(source.target, new, roots=pinned, crls=crls)
    except OSError as exc:
        return Outcome(False, False, (f"{_kept(held)}: cannot write it: {exc}",))
    return Outcome(True, True, tuple(_changes(held_crls, crls, held_roots, pinned)))
