"""What the pipeline hands out, checked by real peers: pkilint, openssl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from jitsuin.authorities.services import bundle_pem, issuing_authority, to_pem
from jitsuin.lifecycle.models import Pickup
from jitsuin.lifecycle.services import collect_pickup, request_issue, reveal_pin
from tests.lifecycle.conftest import key, run_pipeline
from tests.peers import require_tool

pytestmark = pytest.mark.peers


@pytest.fixture
def issued(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    return Pickup.objects.get(request=request)


def test_pipeline_certificate_passes_pkilint(issued, tmp_path: Path):
    lint = require_tool("lint_pkix_cert")
    chain_lint = require_tool("lint_pkix_signer_signee_cert_chain")
    leaf = x509.load_der_x509_certificate(bytes(issued.certificate.der))
    cert = tmp_path / "leaf.pem"
    cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    issuer = tmp_path / "issuer.pem"
    issuer.write_text(to_pem(issuing_authority()))
    result = subprocess.run(
        [lint, "lint", "-s", "WARNING", str(cert)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(
        [chain_lint, "lint", "-s", "WARNING", str(issuer), str(cert)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("fmt", ["compatible", "modern"])
def test_openssl_opens_both_pkcs12_profiles_and_verifies_the_chain(issued, t0, tmp_path, fmt):
    openssl = require_tool("openssl")
    pin = reveal_pin(issued, actor="user:alice")
    p12 = tmp_path / f"{fmt}.p12"
    p12.write_bytes(collect_pickup(issued, actor="user:alice", pkcs12_profile=fmt, now=t0))
    info = subprocess.run(
        [openssl, "pkcs12", "-in", str(p12), "-passin", f"pass:{pin}", "-info", "-nokeys"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert info.returncode == 0, info.stderr
    expected = "pbeWithSHA1And3-KeyTripleDES-CBC" if fmt == "compatible" else "AES-256-CBC"
    assert expected in info.stderr + info.stdout
    wrong = subprocess.run(
        [openssl, "pkcs12", "-in", str(p12), "-passin", "pass:wrong", "-noout"],
        capture_output=True,
        timeout=60,
    )
    assert wrong.returncode != 0
    leaf = tmp_path / "leaf.pem"
    subprocess.run(
        [
            openssl,
            "pkcs12",
            "-in",
            str(p12),
            "-passin",
            f"pass:{pin}",
            "-clcerts",
            "-nokeys",
            "-out",
            str(leaf),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(bundle_pem())
    verify = subprocess.run(
        [openssl, "verify", "-CAfile", str(bundle), "-purpose", "sslclient", str(leaf)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0 and ": OK" in verify.stdout, verify.stdout + verify.stderr
