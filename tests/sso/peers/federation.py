"""Federation metadata as GakuNin publishes it: one ``md:EntitiesDescriptor`` aggregating the
member IdPs, with a validUntil, signed by the federation's key (xmlsec1, a real XML-DSig), and
served over HTTP by a small server of this process."""

from __future__ import annotations

import datetime
import functools
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ENTITIES = "urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor"
AGGREGATE_ID = "_jitsuin-test-federation"

_SIGNATURE_TEMPLATE = (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    f'<ds:Reference URI="#{AGGREGATE_ID}"><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
    "<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>"
    "<ds:SignatureValue></ds:SignatureValue>"
    "<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo></ds:Signature>"
)


def aggregate(entity_descriptors: list[bytes], *, valid_for: datetime.timedelta) -> str:
    """An unsigned aggregate (with the empty signature template first, where the schema wants
    it) of the given ``md:EntityDescriptor`` documents."""
    until = datetime.datetime.now(datetime.UTC) + valid_for
    members = [
        re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", document.decode()) for document in entity_descriptors
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'ID="{AGGREGATE_ID}" Name="urn:example:test-federation" '
        f'validUntil="{until.strftime("%Y-%m-%dT%H:%M:%SZ")}">\n'
        + _SIGNATURE_TEMPLATE
        + "\n"
        + "\n".join(members)
        + "\n</md:EntitiesDescriptor>\n"
    )


def sign(xmlsec1: str, unsigned: Path, signed: Path, key: Path, cert: Path) -> None:
    """Sign ``unsigned`` into ``signed`` with the federation's ``key`` (``cert`` in KeyInfo),
    then check the result with xmlsec1 against ``cert``."""
    subprocess.run(
        [xmlsec1, "--sign", "--privkey-pem", f"{key},{cert}", "--id-attr:ID", ENTITIES,
         "--output", str(signed), str(unsigned)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    subprocess.run(
        [xmlsec1, "--verify", "--pubkey-cert-pem", str(cert), "--id-attr:ID", ENTITIES,
         str(signed)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


class MetadataServer(ThreadingHTTPServer):
    """Serves the files of one directory; counts the requests for each path."""

    daemon_threads = True

    def __init__(self, directory: Path) -> None:
        handler = functools.partial(_Handler, directory=str(directory))
        super().__init__(("127.0.0.1", 0), handler)
        self.directory = directory
        self.requests: dict[str, int] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{name}"


class _Handler(SimpleHTTPRequestHandler):
    server: MetadataServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests[self.path] = self.server.requests.get(self.path, 0) + 1
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def metadata_server(directory: Path) -> Iterator[MetadataServer]:
    server = MetadataServer(directory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
