"""The signer's endpoints, by method and path: plain functions of the RA, the JSON body and the
time, answering (status, JSON, whether an order was carried out). No HTTP here (server.py)."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization

from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import AuthorityError, issuing_authority
from jitsuin.signer import crls, orders, responders
from jitsuin.signer.models import RegisteredRa
from jitsuin.signer.policy import Refused

_CRL = re.compile(r"^/v1/crl/([0-9a-f]{64})$")


def status(ra: RegisteredRa) -> dict[str, Any]:
    try:
        chain = orders.chain_json(issuing_authority())
    except AuthorityError as exc:
        return {"status": "no issuing CA", "detail": str(exc), "ra": ra.name, "chain": []}
    return {"status": "ok", "ra": ra.name, "profiles": ra.profiles, "chain": chain}


def crl(fingerprint: str, now: datetime) -> dict[str, Any]:
    authority = Authority.objects.filter(fingerprint_sha256=fingerprint).first()
    if authority is None:
        raise Refused(f"no CA with fingerprint {fingerprint} here", status=404)
    row = crls.current_crl(authority, now)
    return {
        "number": row.number,
        "this_update": row.this_update.isoformat(),
        "next_update": row.next_update.isoformat(),
        "der": base64.b64encode(bytes(row.der)).decode(),
        # Every revocation ordered before this moment is in it (a CRL's own times are whole
        # seconds): the RA's pending publications up to then are done.
        "covers_until": now.isoformat(),
    }


def dispatch(
    ra: RegisteredRa, method: str, path: str, body: dict[str, Any], now: datetime
) -> tuple[int, dict[str, Any], bool]:
    if method == "GET" and path == "/v1/status":
        return 200, status(ra), False
    if method == "GET" and (match := _CRL.match(path)):
        return 200, crl(match.group(1), now), False
    handlers = {"/v1/issue": orders.issue, "/v1/revoke": orders.revoke}
    if method == "POST" and path in handlers:
        try:
            return 200, handlers[path](ra, body, now), True
        except Refused as refusal:
            orders.refuse(ra, path.rsplit("/", 1)[1], body.get("idempotency_key"), refusal, now)
            raise
    if method == "POST" and path == "/v1/responder":
        certificate = responders.responder_certificate(ra, body, now)
        return (
            200,
            {"certificate": certificate.public_bytes(serialization.Encoding.PEM).decode()},
            False,
        )
    raise Refused(f"no endpoint {method} {path}", status=404)
