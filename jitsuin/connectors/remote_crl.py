"""The CRLs of a remote signer's CAs, pulled into the RA's publishing store.

Pull, not push: the RA already reaches the signer, the signer never opens a connection to an
RA, and a pull that fails is made good by the next one. Each CRL is checked against its CA's
certificate before it is stored as a ``PublishedCrl`` row (served at ``/crl/<slug>.crl`` as
the embedded CA's are); pending publications of that CA that the pulled CRL covers are done.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime

from cryptography import x509
from django.db import transaction
from django.utils import timezone

from jitsuin.authorities.models import Authority, PendingPublication, PublishedCrl
from jitsuin.authorities.publishing.crl import record_crl
from jitsuin.authorities.publishing.ocsp_signing import reset_process_caches
from jitsuin.config import current
from jitsuin.connectors import remote_chain
from jitsuin.connectors.base import ConnectorError, ConnectorRejected
from jitsuin.connectors.remote import RemoteConnector
from jitsuin.connectors.remote_chain import REMOTE
from jitsuin.connectors.remote_client import SignerClient

logger = logging.getLogger("jitsuin.connectors.remote")


def _store(
    authority: Authority, crl: x509.CertificateRevocationList, der: bytes, covers: datetime
) -> PublishedCrl | None:
    """Published as every CRL signed elsewhere is (``record_crl``: checked, newer, audited);
    then the RA's pending publications it covers are done (audit head first, pending rows
    after: the lock order of publish_crl)."""
    with transaction.atomic():
        try:
            row = record_crl(authority, crl, der, actor="system", data={"pulled": True})
        except ValueError as exc:  # its signature is not the CA's
            raise ConnectorRejected(f"a CRL pulled from the signer: {exc}") from exc
        PendingPublication.objects.filter(authority=authority, requested_at__lte=covers).delete()
    return row


def pull_crl(authority: Authority, client: SignerClient) -> PublishedCrl | None:
    """The signer's newest CRL of ``authority``, stored when newer than ours (else None)."""
    answer = client.call("GET", f"/v1/crl/{authority.fingerprint_sha256}")
    try:
        der = base64.b64decode(str(answer["der"]), validate=True)
        crl = x509.load_der_x509_crl(der)
        covers = datetime.fromisoformat(str(answer["covers_until"]))
    except (KeyError, ValueError) as exc:
        raise ConnectorRejected(f"signer {client.where}: a malformed CRL ({exc})") from exc
    return _store(authority, crl, der, covers)


def pull_crls(client: SignerClient, now: datetime | None = None) -> list[PublishedCrl]:
    """Pull the CRL of every remote CA; a CA whose pull fails is logged and left for the
    next round."""
    del now  # the signer decides when a CRL is outdated
    stored = []
    for authority in Authority.objects.filter(key_ref__startswith=REMOTE):
        try:
            row = pull_crl(authority, client)
        except ConnectorError as exc:
            logger.warning("CRL of %s not pulled: %s", authority.name, exc)
            continue
        if row is not None:
            stored.append(row)
    return stored


def periodic_pull(now: datetime) -> list[PublishedCrl]:
    """The worker's job ``connectors.pull_remote_crls`` (every minute): with a signer
    configured, its CAs' CRLs are pulled; the pending publications they cover are done (the
    RA never signs a remote CA's CRL: ``publish_due`` leaves those to this job); responders
    near their end are certified again."""
    if not current().signer.enabled:
        return []
    client = RemoteConnector.from_config(current()).client
    try:
        if remote_chain.renew_responders(client, now):
            reset_process_caches()
    except ConnectorError as exc:
        logger.warning("OCSP responders not renewed: %s", exc)
    return pull_crls(client, now)


def pull_from_configured_signer() -> list[PublishedCrl]:
    """``jitsuin signer pull-crls`` on an RA: from the signer of ``JITSUIN_SIGNER_*``."""
    return pull_crls(RemoteConnector.from_config(current()).client, timezone.now())
