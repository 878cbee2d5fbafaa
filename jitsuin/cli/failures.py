"""The failures a CLI user can fix, said in a line or two instead of a traceback.

``jitsuin.cli.main`` asks ``explain()`` about any exception a command lets out; a kind
listed here becomes its message (exit status 1), anything else keeps its traceback.
``--traceback`` always shows the details.
"""

from __future__ import annotations

import errno

from django.core.exceptions import ImproperlyConfigured
from django.db.utils import InterfaceError, OperationalError

from jitsuin.authorities.keys import KeyCheckError, OfflineKey
from jitsuin.cli.schema import SchemaNotReady
from jitsuin.config import ConfigError
from jitsuin.pki.keystore import KeyStoreError
from jitsuin.pki.keystore_pkcs11 import TokenError
from jitsuin.pki.offline import OfflineError


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _database(exc: BaseException) -> str:
    text = _first_line(exc)
    lowered = str(exc).lower()
    if "does not exist" in lowered and "database" in lowered:
        return (
            f"the database in DATABASE_URL does not exist ({text}).\n"
            "Create it (e.g. `createdb NAME`) or correct DATABASE_URL."
        )
    if any(
        marker in lowered
        for marker in (
            "connection refused",
            "could not connect",
            "connection failed",
            "could not translate host",
            "timeout expired",
            "shutting down",
            "starting up",
            "server closed the connection",
            "terminating connection",
        )
    ):
        return (
            f"cannot reach the database in DATABASE_URL ({text}).\n"
            "Is the database server running and reachable? Then run the command again."
        )
    if "unable to open database file" in lowered or "readonly database" in lowered:
        return (
            f"cannot open the SQLite database ({text}).\n"
            "JITSUIN_DATA_DIR must be a writable directory (or set DATABASE_URL)."
        )
    if "database or disk is full" in lowered:
        return f"the disk is full ({text}).\nFree space, then run the command again."
    return f"database error: {text}\nSee `--traceback` for the details."


def _os_error(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or _first_line(exc)
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device writing{where}.\nFree space, then run it again."
    if exc.errno in {errno.EROFS, errno.EACCES, errno.EPERM}:
        return (
            f"cannot write{where}: {reason}.\n"
            "JITSUIN_DATA_DIR must be a directory this user can write to."
        )
    if exc.errno in {errno.ENOTDIR, errno.EEXIST, errno.EISDIR}:
        return (
            f"{where.strip() or 'a path'}: {reason}.\n"
            "JITSUIN_DATA_DIR must name a directory (not a file)."
        )
    return f"{reason}{':' + where if where else ''}\nSee `--traceback` for the details."


def explain(exc: BaseException) -> str | None:
    """One or two lines naming the cause and what to do; None for an unexpected error."""
    if isinstance(exc, ConfigError):
        return f"{exc}\nCorrect the variable (see docs/configuration.md)."
    if isinstance(exc, KeyCheckError | SchemaNotReady | OfflineKey | OfflineError):
        return str(exc)
    if isinstance(exc, KeyStoreError):
        if isinstance(exc, TokenError):
            return (
                f"{exc}\nCheck the JITSUIN_PKCS11_* settings and the token (docs/authorities.md)."
            )
        return f"{exc}\nCheck JITSUIN_KEK / kek.hex and the key files in JITSUIN_DATA_DIR/keys."
    if isinstance(exc, OperationalError | InterfaceError):
        return _database(exc)
    if isinstance(exc, ImproperlyConfigured):
        return f"{_first_line(exc)}\nCheck DATABASE_URL and the JITSUIN_ settings."
    if isinstance(exc, OSError):
        return _os_error(exc)
    return None
