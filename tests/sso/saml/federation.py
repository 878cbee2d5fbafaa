"""A small signed federation for the SAML tests: real keys, xmlsec1, a real HTTP server."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2.sigver import CryptoBackendXmlSec1, pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from tests.peers import require_tool

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
UNI = "https://idp.example.ac.jp/idp/shibboleth"
EVIL = "https://idp.other-u.ac.jp/idp/shibboleth"


@dataclass(frozen=True)
class KeyPair:
    key: Path
    cert: Path

    @property
    def cert_base64(self) -> str:
        der = x509.load_pem_x509_certificate(self.cert.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
        return base64.b64encode(der).decode()


@cache
def _key(tag: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pair(directory: Path, name: str) -> KeyPair:
    """A self-signed RSA pair as an IdP, SP or federation operator has one (files, PEM)."""
    key = _key(name)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    pair = KeyPair(directory / f"{name}.key", directory / f"{name}.crt")
    pair.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pair


@dataclass(frozen=True)
class Idp:
    entity_id: str
    signing: KeyPair
    scopes: tuple[tuple[str, bool], ...] = ()  # (scope, regexp)
    sso_url: str = ""
    slo_url: str = ""

    def xml(self) -> str:
        scopes = "".join(
            f'<shibmd:Scope regexp="{str(regexp).lower()}">{scope}</shibmd:Scope>'
            for scope, regexp in self.scopes
        )
        extensions = f"<md:Extensions>{scopes}</md:Extensions>" if scopes else ""
        sso = self.sso_url or self.entity_id.replace("/idp/shibboleth", "/idp/sso")
        slo = (
            f'<md:SingleLogoutService Binding="{REDIRECT}" Location="{self.slo_url}"/>'
            if self.slo_url
            else ""
        )
        return (
            f'<md:EntityDescriptor entityID="{self.entity_id}">'
            f'<md:IDPSSODescriptor protocolSupportEnumeration="{PROTOCOL}">'
            f"{extensions}"
            f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
            f"{self.signing.cert_base64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            f"</md:KeyDescriptor>{slo}"
            f'<md:SingleSignOnService Binding="{REDIRECT}" Location="{sso}"/>'
            f'<md:SingleSignOnService Binding="{POST}" Location="{sso}"/>'
            f"</md:IDPSSODescriptor></md:EntityDescriptor>"
        )


def federation(
    idps: list[Idp],
    *,
    valid_until: datetime | None = None,
    cache_duration: str = "PT6H",
    signer: KeyPair | None = None,
) -> bytes:
    """An EntitiesDescriptor for ``idps``, signed at its root by ``signer`` (xmlsec1) if given."""
    valid_until = valid_until or datetime.now(UTC) + timedelta(days=10)
    ident = "fed" + valid_until.strftime("%Y%m%d%H%M%S")
    signature = ""
    if signer is not None:
        signature = str(
            pre_signature_part(ident, digest_alg=DIGEST_SHA256, sign_alg=SIG_RSA_SHA256)
        )
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<md:EntitiesDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
        f' xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" ID="{ident}" Name="test-federation"'
        f' validUntil="{valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")}"'
        f' cacheDuration="{cache_duration}">'
        f"{signature}{''.join(idp.xml() for idp in idps)}</md:EntitiesDescriptor>"
    )
    if signer is None:
        return text.encode()
    crypto = CryptoBackendXmlSec1(require_tool("xmlsec1"))
    signed = crypto.sign_statement(
        text, node_name=f"{MD}:EntitiesDescriptor", key_file=str(signer.key), node_id=ident
    )
    return signed.encode() if isinstance(signed, str) else signed


@dataclass
class MetadataServer:
    """A real HTTP server on 127.0.0.1 serving one document, counting the GETs; can go down."""

    body: bytes
    status: int = 200
    gets: int = 0
    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def metadata_server(body: bytes) -> Iterator[MetadataServer]:
    served = MetadataServer(body)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            served.gets += 1
            served.requests.append(dict(self.headers))
            etag = '"' + hashlib.sha256(served.body).hexdigest()[:16] + '"'
            status = served.status
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status = 304
            self.send_response(status)
            payload = served.body if status == 200 else b"" if status == 304 else b"down"
            self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_address[1]}/federation.xml"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
