"""`jitsuin recovery init-key --out DIR`: the key-recovery key pair, made on the offline
machine. Runs before Django is set up: it needs no database, settings or data directory."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from jitsuin.pki.keyarchive import (
    MIN_PASSPHRASE_LENGTH,
    RECOVERY_KEY_BITS,
    KeyArchiveError,
    generate_recovery_key,
    key_id,
    load_recovery_public_key,
)

PRIVATE_NAME = "recovery-key.pem"
PUBLIC_NAME = "recovery-public.pem"


def read_passphrase(path: str, *, confirm: bool) -> bytes:
    """From ``path`` (first line), else asked twice on the terminal."""
    if path:
        return Path(path).read_bytes().splitlines()[0] if Path(path).stat().st_size else b""
    first = getpass.getpass("passphrase of the recovery key: ").encode()
    if confirm and getpass.getpass("the same passphrase again: ").encode() != first:
        raise KeyArchiveError("the two passphrases differ")
    return first


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="jitsuin recovery init-key",
        description=(
            "Create the institution's key-recovery key pair (RSA, default 4096 bits) for the "
            f"offline machine: DIR/{PRIVATE_NAME}, encrypted under a passphrase, and "
            f"DIR/{PUBLIC_NAME}, the only part the server gets (JITSUIN_KEY_RECOVERY_KEY). "
            "Needs no database. See docs/key-recovery.md for the ceremony."
        ),
    )
    parser.add_argument("--out", required=True, help="a new or empty directory (offline media)")
    parser.add_argument(
        "--passphrase-file",
        default="",
        help=f"read the passphrase (at least {MIN_PASSPHRASE_LENGTH} characters) from this "
        "file's first line; default: ask twice",
    )
    parser.add_argument("--bits", type=int, default=RECOVERY_KEY_BITS, help="RSA key size")
    options = parser.parse_args(argv)
    out = Path(options.out)
    private, public = out / PRIVATE_NAME, out / PUBLIC_NAME
    try:
        if private.exists() or public.exists():
            raise KeyArchiveError(f"{out} already holds a recovery key: not overwritten")
        passphrase = read_passphrase(options.passphrase_file, confirm=True)
        pair = generate_recovery_key(passphrase, bits=options.bits)
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write(private, pair.private_pem, 0o600)
        _write(public, pair.public_pem, 0o644)
    except (KeyArchiveError, OSError) as exc:
        print(f"jitsuin recovery init-key: {exc}", file=sys.stderr)
        return 1
    fingerprint = key_id(load_recovery_public_key(pair.public_pem))
    print(f"wrote {private} (encrypted private key: keep it offline, with copies)")
    print(f"wrote {public} (for the server)")
    print(f"recovery key id (SHA-256 of the public key): {fingerprint}")
    print(f"on the server: JITSUIN_KEY_RECOVERY_KEY=/etc/jitsuin/{PUBLIC_NAME}")
    return 0
