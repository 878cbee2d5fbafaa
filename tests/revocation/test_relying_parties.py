"""OpenSSL and pyhanko-certvalidator judge what a live jitsuin publishes, for the matrix
{fresh, revoked, expired, under a revoked intermediate}; plus `jitsuin check --online`."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import CertificateValidator, ValidationContext, errors

from jitsuin.lifecycle.verdict import check_certificate
from tests.peers import require_tool

from .live import CLIENTS, live  # noqa: F401 (fixture)

pytestmark = pytest.mark.peers
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


@pytest.fixture(scope="module")
def files(live):  # noqa: F811
    (live.dir / "roots.pem").write_bytes(live.get("/ca/roots.pem"))
    (live.dir / "cas.pem").write_bytes(live.get("/ca/bundle.pem"))
    (live.dir / "crls.pem").write_bytes(live.get("/crl/bundle.pem"))
    return live.dir


VERIFY = {
    "fresh": "OK",
    "revoked": "certificate revoked",
    "expired": "certificate has expired",
    "underrevoked": "certificate revoked",
}


@pytest.mark.parametrize("client", CLIENTS)
def test_openssl_verify_crl_check_all(live, files, client):  # noqa: F811
    openssl = require_tool("openssl")
    result = subprocess.run(
        [
            openssl,
            "verify",
            "-crl_check_all",
            "-CAfile",
            str(files / "roots.pem"),
            "-untrusted",
            str(files / "cas.pem"),
            "-CRLfile",
            str(files / "crls.pem"),
            str(files / f"{client}.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert VERIFY[client] in result.stdout + result.stderr
    assert (result.returncode == 0) == (client == "fresh")


OCSP = {
    "fresh": "good",
    "revoked": "revoked",
    "underrevoked": "revoked",
    # OCSP says nothing about validity periods; the TLS peer rejects an expired certificate
    "expired": "good",
}


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("nonce", [False, True], ids=["presigned", "nonce"])
def test_openssl_ocsp_against_jitsuin(live, files, client, nonce):  # noqa: F811
    openssl = require_tool("openssl")
    result = subprocess.run(
        [
            openssl,
            "ocsp",
            "-issuer",
            str(files / f"{client}.issuer.pem"),
            "-cert",
            str(files / f"{client}.pem"),
            "-url",
            live.url + "/ocsp",
            "-CAfile",
            str(files / "roots.pem"),
            "-verify_other",
            str(files / "cas.pem"),
            *([] if nonce else ["-no_nonce"]),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "Response verify OK" in result.stderr, result.stderr
    status = re.search(rf"{re.escape(str(files / f'{client}.pem'))}: (\w+)", result.stdout)
    assert status and status.group(1) == OCSP[client], result.stdout


def _validate(live, files, client):  # noqa: F811
    def asn1(path):
        return [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in x509.load_pem_x509_certificates((files / path).read_bytes())
        ]

    crls = [
        asn1_crl.CertificateList.load(c.public_bytes(serialization.Encoding.DER))
        for c in _pem_crls((files / "crls.pem").read_bytes())
    ]
    context = ValidationContext(
        trust_roots=asn1("roots.pem"),
        other_certs=asn1("cas.pem"),
        crls=crls,
        allow_fetching=False,
        revocation_mode="require",
    )
    leaf = asn1(f"{client}.pem")[0]
    validator = CertificateValidator(leaf, validation_context=context)
    return asyncio.run(
        validator.async_validate_usage({"digital_signature"}, extended_key_usage={"client_auth"})
    )


def _pem_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    marker = b"-----BEGIN X509 CRL-----"
    return [x509.load_pem_x509_crl(marker + part) for part in data.split(marker)[1:]]


CERTVALIDATOR = {
    "revoked": errors.RevokedError,
    "underrevoked": errors.RevokedError,
    "expired": errors.ExpiredError,
}


@pytest.mark.parametrize("client", CLIENTS)
def test_pyhanko_certvalidator_with_revocation_required(live, files, client):  # noqa: F811
    if client == "fresh":
        assert len(_validate(live, files, client)) == 3
    else:
        with pytest.raises(CERTVALIDATOR[client]):
            _validate(live, files, client)


CHECK = {
    "fresh": "valid",
    "revoked": "revoked",
    "expired": "expired",
    "underrevoked": "issuer_revoked",
}


@pytest.mark.parametrize("client", CLIENTS)
def test_jitsuin_check_online_reads_the_published_data(live, client):  # noqa: F811
    base = "http://127.0.0.1:8000"  # JITSUIN_PUBLIC_URL of the tests, inside the certificates

    def fetch(url, body, content_type):
        from jitsuin.pki.relying_party import http_fetch

        return http_fetch(url.replace(base, live.url), body, content_type)

    with live.db():
        verdict = check_certificate(live.clients[client].pem, online=True, fetch=fetch, lang="en")
    assert verdict.status == CHECK[client]
    assert all(f.ok for f in verdict.online), verdict.online
    assert {f.source for f in verdict.online} == {"crl", "ocsp"}
