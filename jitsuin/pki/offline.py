"""The offline root: its key lives in a vault directory on an air-gapped machine.

The online side writes requests (a new intermediate's CSR, the root CRL's entries) as JSON
documents; at a signing ceremony ``sign`` answers each from the vault; the online side
imports the answers. Nothing here needs a database: the vault is a directory with the root
key (PKCS#8, encrypted with the ceremony's passphrase), its certificate and a small state
file (the last CRL number, the public URL the certificates point at).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jitsuin.pki.clock import Clock
from jitsuin.pki.crl import RevokedEntry, build_crl, parse_reason
from jitsuin.pki.errors import PkiError
from jitsuin.pki.issuance import PublicUrls, Signer, create_root, issue_certificate
from jitsuin.pki.keys import KeySpec, generate_private_key
from jitsuin.pki.profiles import INTERMEDIATE_CA

# The key reference of an offline root's row online: no key, only this marker and its slug.
OFFLINE_SCHEME = "offline:"
FORMAT = "jitsuin-offline/1"
MAX_DOCUMENT_BYTES = 1024 * 1024  # a CRL request lists intermediates: a few KB
MAX_ENTRIES = 10_000
MIN_PASSPHRASE_LENGTH = 12
# The root CRL is signed at ceremonies: it must outlive the time between two of them.
DEFAULT_ROOT_CRL_VALIDITY = timedelta(days=180)
KEY_FILE, CERT_FILE, STATE_FILE = "root-key.pem", "root.pem", "vault.json"
KINDS = ("root", "intermediate-request", "intermediate", "crl-request", "crl")


class OfflineError(PkiError):
    """A vault, passphrase or document that cannot be used; the message says why."""


@dataclass(frozen=True)
class Vault:
    directory: Path
    signer: Signer
    state: dict[str, Any]

    @property
    def urls(self) -> PublicUrls:
        return PublicUrls(str(self.state["public_url"]))


def document(kind: str, **fields: Any) -> dict[str, Any]:
    return {"format": FORMAT, "kind": kind, **fields}


def read_document(data: bytes, *, expect: tuple[str, ...] = KINDS) -> dict[str, Any]:
    """A request or answer file, checked for size, format and kind before anything else."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise OfflineError(f"the file is {len(data)} bytes; at most {MAX_DOCUMENT_BYTES}")
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OfflineError("not a jitsuin offline document (JSON expected)") from exc
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
        raise OfflineError(f"not a jitsuin offline document (format {FORMAT!r} expected)")
    if parsed.get("kind") not in expect:
        raise OfflineError(f"a {parsed.get('kind')!r} document; expected {' or '.join(expect)}")
    return parsed


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` (mode 0600); an existing file is never overwritten."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise OfflineError(f"{path} exists; it is never overwritten") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _save_state(directory: Path, state: dict[str, Any]) -> None:
    temporary = directory / (STATE_FILE + ".new")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, directory / STATE_FILE)


def _check_passphrase(passphrase: bytes) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise OfflineError(
            f"the vault's passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters long"
        )


def init_vault(
    directory: Path,
    *,
    subject: x509.Name,
    name: str,
    slug: str,
    public_url: str,
    key_spec: KeySpec,
    passphrase: bytes,
    clock: Clock,
    crl_validity: timedelta = DEFAULT_ROOT_CRL_VALIDITY,
) -> dict[str, Any]:
    """Make the root in ``directory`` (created, or empty) and return the ``root`` document
    the online side imports: the certificate and its first, empty CRL."""
    _check_passphrase(passphrase)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if any(directory.iterdir()):
        raise OfflineError(f"{directory} is not empty: a vault is made in an empty directory")
    key = generate_private_key(key_spec)
    certificate = create_root(subject, key, clock)
    write_private(
        directory / KEY_FILE,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        ),
    )
    write_private(directory / CERT_FILE, certificate.public_bytes(serialization.Encoding.PEM))
    state = {
        "name": name,
        "slug": slug,
        "public_url": public_url,
        "crl_number": 0,
        "crl_validity_days": crl_validity.days,
    }
    _save_state(directory, state)
    vault = Vault(directory, Signer(certificate, key, slug), state)
    crl = _sign_crl(vault, [], minimum_number=0, clock=clock)
    return document(
        "root",
        name=name,
        slug=slug,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        **crl,
    )


def open_vault(directory: Path, passphrase: bytes) -> Vault:
    try:
        state = json.loads((directory / STATE_FILE).read_text())
        key_pem = (directory / KEY_FILE).read_bytes()
        certificate = x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise OfflineError(
            f"{directory} is not a root vault (jitsuin ca offline init): {exc}"
        ) from exc
    try:
        key = serialization.load_pem_private_key(key_pem, password=passphrase)
    except (TypeError, ValueError) as exc:
        raise OfflineError("the passphrase does not open the root key") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise OfflineError("the vault's key is of an unsupported type")
    if key.public_key() != certificate.public_key():
        raise OfflineError("the vault's key and certificate do not belong together")
    return Vault(directory, Signer(certificate, key, str(state["slug"])), state)


def sign(vault: Vault, request: dict[str, Any], *, clock: Clock) -> dict[str, Any]:
    """The answer to an ``intermediate-request`` or a ``crl-request``."""
    if request.get("root_fingerprint") != root_fingerprint(vault.signer.certificate):
        raise OfflineError("the request is for another root than this vault's")
    if request["kind"] == "intermediate-request":
        return _sign_intermediate(vault, request, clock)
    if request["kind"] == "crl-request":
        entries = _entries(request.get("entries"))
        minimum = _whole(request.get("after_number", 0), "after_number")
        return document("crl", **_sign_crl(vault, entries, minimum_number=minimum, clock=clock))
    raise OfflineError(f"a {request['kind']!r} document is an answer, not a request")


def _sign_intermediate(vault: Vault, request: dict[str, Any], clock: Clock) -> dict[str, Any]:
    try:
        csr = x509.load_pem_x509_csr(str(request["csr_pem"]).encode())
    except (KeyError, ValueError) as exc:
        raise OfflineError("the request holds no readable certificate signing request") from exc
    if not csr.is_signature_valid:
        raise OfflineError("the signing request's signature does not verify")
    days = _whole(request.get("validity_days", INTERMEDIATE_CA.validity.days), "validity_days")
    certificate = issue_certificate(
        profile=INTERMEDIATE_CA.with_validity(timedelta(days=days)),
        subject=csr.subject,
        public_key=csr.public_key(),
        signer=vault.signer,
        clock=clock,
        urls=vault.urls,
    )
    return document(
        "intermediate",
        request_id=request.get("request_id", ""),
        name=request.get("name", ""),
        key_ref=request.get("key_ref", ""),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )


def _sign_crl(
    vault: Vault, entries: list[RevokedEntry], *, minimum_number: int, clock: Clock
) -> dict[str, Any]:
    number = max(int(vault.state["crl_number"]), minimum_number) + 1
    crl = build_crl(
        vault.signer,
        entries,
        crl_number=number,
        clock=clock,
        validity=timedelta(days=int(vault.state["crl_validity_days"])),
    )
    vault.state["crl_number"] = number
    _save_state(vault.directory, vault.state)
    return {
        "number": number,
        "crl_der": base64.b64encode(crl.public_bytes(serialization.Encoding.DER)).decode(),
    }


def _entries(raw: object) -> list[RevokedEntry]:
    if not isinstance(raw, list) or len(raw) > MAX_ENTRIES:
        raise OfflineError(f"entries: a list of at most {MAX_ENTRIES} revocations expected")
    entries = []
    for item in raw:
        try:
            revoked_at = datetime.fromisoformat(item["revoked_at"])
            if revoked_at.tzinfo is None:
                raise ValueError("a time without its zone")
            reason = parse_reason(item["reason"]) if item.get("reason") else None
            entries.append(
                RevokedEntry(
                    serial=int(item["serial"]),
                    revoked_at=revoked_at.astimezone(UTC),
                    reason=reason,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise OfflineError(f"entries: {item!r} is not a revocation") from exc
    return entries


def _whole(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise OfflineError(f"{name}: a whole number expected, not {value!r}")
    return value


def root_fingerprint(certificate: x509.Certificate) -> str:
    """How requests name the root they are for: its SHA-256 fingerprint in hex."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def new_request_id() -> str:
    return secrets.token_hex(8)


def crl_from(answer: dict[str, Any]) -> x509.CertificateRevocationList:
    try:
        return x509.load_der_x509_crl(base64.b64decode(str(answer["crl_der"]), validate=True))
    except (KeyError, ValueError) as exc:
        raise OfflineError("the answer holds no readable CRL") from exc
