"""What a SAML metadata document says about itself, and whether it may be used: the root's own
XML signature against the federation's certificate (xmlsec1 through pysaml2's crypto backend),
its ``validUntil``, and when to ask the source again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import ParseError, fromstring
from saml2.sigver import CryptoBackendXmlSec1, SignatureError, XmlsecError

MIN_REFRESH = timedelta(minutes=10)
MAX_REFRESH = timedelta(hours=24)
DEFAULT_REFRESH = timedelta(hours=6)

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
DS_REFERENCE = "{http://www.w3.org/2000/09/xmldsig#}Reference"
ROOTS = {f"{{{MD_NS}}}EntitiesDescriptor", f"{{{MD_NS}}}EntityDescriptor"}
IDP_DESCRIPTOR = f"{{{MD_NS}}}IDPSSODescriptor"
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class MetadataRefused(Exception):
    """A metadata document that must not be used; the message says why (one line)."""


@dataclass(frozen=True)
class MetadataDocument:
    """What a checked document says about itself."""

    valid_until: datetime | None
    cache_duration: timedelta | None
    idps: tuple[str, ...]
    signed: bool


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise MetadataRefused(f"validUntil {text!r} is not a date and time") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_duration(text: str | None) -> timedelta | None:
    match = _DURATION.match((text or "").strip())
    if not text or not match or not any(match.groups()):
        return None  # an unreadable cacheDuration is only a hint: fall back to the default
    parts = {k: float(v or 0) for k, v in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def _read_root(xml: bytes) -> Element:
    try:
        root = fromstring(xml, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden) as exc:
        raise MetadataRefused("metadata with a DTD or entities is not accepted") from exc
    except ParseError as exc:
        raise MetadataRefused(f"not XML: {exc}") from exc
    if root.tag not in ROOTS:
        raise MetadataRefused(f"root element {root.tag} is not SAML metadata")
    return root


def _check_signature_place(root: Element) -> None:
    """The first signature in document order must be the root's own, covering the whole root,
    so that xmlsec1 (which checks the first one it finds) vouches for every entity in it."""
    first = next(root.iter(DS_SIGNATURE), None)
    if first is None or first not in list(root):
        raise MetadataRefused("the metadata is not signed at its root")
    references = list(first.iter(DS_REFERENCE))
    root_id = root.get("ID", "")
    uris = {"", f"#{root_id}"} if root_id else {""}
    if len(references) != 1 or references[0].get("URI", "") not in uris:
        raise MetadataRefused("the metadata signature does not cover the whole document")


def check_metadata(
    xml: bytes, *, cert: Path | None, xmlsec1: str, now: datetime | None = None
) -> MetadataDocument:
    """Check one metadata document: well-formed SAML metadata, not past its root ``validUntil``,
    and, when ``cert`` is given, signed at its root by that certificate's key (verified by xmlsec1).

    Raises ``MetadataRefused`` with a one-line reason otherwise."""
    now = now or datetime.now(UTC)
    root = _read_root(xml)
    valid_until = parse_time(root.get("validUntil"))
    if valid_until is not None and valid_until <= now:
        raise MetadataRefused(f"the metadata expired at {valid_until.isoformat()} (validUntil)")
    if cert is not None:
        _check_signature_place(root)
        crypto = CryptoBackendXmlSec1(xmlsec1)
        node_name = root.tag.replace(f"{{{MD_NS}}}", f"{MD_NS}:")
        try:
            crypto.validate_signature(
                xml, cert_file=str(cert), cert_type="pem", node_name=node_name, node_id=None
            )
        except (SignatureError, XmlsecError) as exc:
            raise MetadataRefused(f"the metadata signature does not verify with {cert}") from exc
    entities = [root] if root.tag == f"{{{MD_NS}}}EntityDescriptor" else root.iter()
    idps = tuple(
        entity.get("entityID", "")
        for entity in entities
        if entity.tag == f"{{{MD_NS}}}EntityDescriptor" and entity.find(IDP_DESCRIPTOR) is not None
    )
    return MetadataDocument(
        valid_until=valid_until,
        cache_duration=_parse_duration(root.get("cacheDuration")),
        idps=idps,
        signed=cert is not None,
    )


def next_refresh(document: MetadataDocument, now: datetime) -> datetime:
    """When to ask the source again: after ``cacheDuration`` (default 6 h), and before the copy
    expires, but never sooner than 10 minutes nor later than 24 hours."""
    wait = document.cache_duration or DEFAULT_REFRESH
    if document.valid_until is not None:
        wait = min(wait, (document.valid_until - now) / 2)
    return now + max(MIN_REFRESH, min(MAX_REFRESH, wait))
