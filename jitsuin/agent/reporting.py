"""Tell jitsuin what this host's CA directory holds (``--report-token-file``).

After every pass the agent POSTs /api/v1/relying-parties/report: the host's name, whether the
pass worked (with its failure line), and each CRL in the directory (issuer, key id, number,
thisUpdate, nextUpdate). The console lists relying parties from these reports and the
helpdesk is told when one falls behind. A report that fails never touches the directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

import jitsuin
from jitsuin.agent import directory
from jitsuin.agent.checking import Refused, parse_crls
from jitsuin.agent.fetching import post_json
from jitsuin.agent.sync import crl_number

REPORT_PATH = "/api/v1/relying-parties/report"


@dataclass(frozen=True)
class Reporter:
    url: str  # jitsuin's public URL
    token: str
    name: str  # this host, as the console lists it
    timeout: float = 30.0


def _key_id(crl: x509.CertificateRevocationList) -> str:
    try:
        aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return ""
    return aki.key_identifier.hex() if aki.key_identifier else ""


def loaded_crls(target: Path) -> list[dict[str, str]]:
    """The CRLs relying parties read from ``target`` now (none when it cannot be read)."""
    try:
        crls = parse_crls(directory.read(target).crls_pem, "the loaded set")
    except (OSError, Refused):
        return []
    return [
        {
            "issuer": crl.issuer.rfc4514_string(),
            "authority_key_id": _key_id(crl),
            "number": str(crl_number(crl) or 0),
            "this_update": crl.last_update_utc.isoformat(),
            "next_update": crl.next_update_utc.isoformat() if crl.next_update_utc else "",
        }
        for crl in crls
    ]


def report_body(reporter: Reporter, *, ok: bool, error: str, target: Path) -> bytes:
    crls = loaded_crls(target)
    for crl in crls:
        if not crl["next_update"]:
            del crl["next_update"]
    body = {
        "name": reporter.name,
        "ok": ok,
        "error": error[:1000],
        "software": f"jitsuin {jitsuin.__version__}",
        "crls": crls,
    }
    return json.dumps(body).encode()


def send_report(reporter: Reporter, *, ok: bool, error: str, target: Path) -> dict[str, object]:
    """POST the report; jitsuin's answer (``status``: current or behind). FetchFailed on
    failure."""
    answer = post_json(
        reporter.url.rstrip("/") + REPORT_PATH,
        report_body(reporter, ok=ok, error=error, target=target),
        token=reporter.token,
        timeout=reporter.timeout,
    )
    try:
        parsed = json.loads(answer)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
