"""The pki core's output, judged by other people's code: OpenSSL, NSS, GnuTLS and pkilint.

Everything is made by ``jitsuin.pki`` at the real current instant (peers check validity
against their own clock), for an ECDSA hierarchy and an RSA one, each with its CA keys in
files and in a PKCS#11 token (SoftHSM2: ``hsm-ec``, ``hsm-rsa``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from jitsuin.pki.crl import RevokedEntry, parse_reason
from jitsuin.pki.issuance import signature_hash
from jitsuin.pki.keys import KeySpec, PrivateKey
from jitsuin.pki.keystore_pkcs11 import Pkcs11KeyStore
from jitsuin.pki.ocsp import (
    CertStatus,
    SingleStatus,
    build_response,
    parse_request,
    prepare_responder,
    sign_response,
)
from jitsuin.pki.pkcs12 import Pkcs12Profile, build_pkcs12
from jitsuin.pki.profiles import CLIENT_AUTH_SMIME
from tests.peers import require_tool
from tests.pki.factories import TestPki, build_test_pki, cached_key, der, pem
from tests.pki.softhsm import softhsm_token

pytestmark = pytest.mark.peers

PIN = "k7vm-p3xa-9ftq"
# Japanese on purpose: PKCS#12 friendly names are BMPStrings; NSS and GnuTLS must show them.
FRIENDLY = "山田 花子 (Example Univ)"
NONCE = bytes.fromhex("0c1d2e3f405162738495a6b7c8d9eafb")


@dataclass
class Made:
    """Every kind of object the core makes, written to ``dir`` under stable names."""

    pki: TestPki
    dir: Path
    now: datetime
    leaves: dict[str, x509.Certificate]
    revoked: x509.Certificate

    def path(self, name: str) -> Path:
        return self.dir / name


def run(args: Sequence[object], *, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a peer; with ``ok`` it must succeed, otherwise it must fail."""
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, errors="replace", check=False
    )
    shown = f"{' '.join(map(str, args))}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    if ok:
        assert result.returncode == 0, shown
    else:
        assert result.returncode != 0, "expected a failure:\n" + shown
    return result


def _token_keys() -> Callable[[str, str], PrivateKey]:
    """CA keys made in the SoftHSM2 token: every CA signature below is the token's."""
    token = softhsm_token()
    store = Pkcs11KeyStore(token.module, token.label, token.pin)

    def make(spec: str, tag: str) -> PrivateKey:
        return store.get(store.generate(KeySpec.parse(spec), f"peers-{tag}"))

    return make


@pytest.fixture(scope="module", params=["ec", "rsa", "hsm-ec", "hsm-rsa"])
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Made:
    now = datetime.now(UTC).replace(microsecond=0)
    ca_keys = _token_keys() if request.param.startswith("hsm-") else cached_key
    if request.param.endswith("ec"):
        pki = build_test_pki(born=now - timedelta(days=1), label=" Live", ca_keys=ca_keys)
    else:
        pki = build_test_pki(
            born=now - timedelta(days=1),
            ca_key_spec="rsa3072",
            ocsp_key_spec="rsa2048",
            label=" Live RSA",
            ca_keys=ca_keys,
        )
    d = tmp_path_factory.mktemp(f"pki-{request.param}")
    leaves = {
        "client-rsa": pki.client(key_spec="rsa2048", at=now),
        "client-ec": pki.client(key_spec="p256", at=now),
        "smime-rsa": pki.client(key_spec="rsa2048", profile=CLIENT_AUTH_SMIME, at=now),
        "smime-ec": pki.client(key_spec="p384", profile=CLIENT_AUTH_SMIME, at=now),
    }
    revoked = pki.client(key_spec="p256", uid="gone", email="gone@example.ac.jp", at=now)
    for name, cert in {
        "root": pki.root.certificate,
        "inter": pki.intermediate.certificate,
        "ocsp-signer": pki.ocsp.certificate,
        "revoked": revoked,
        **leaves,
    }.items():
        (d / f"{name}.pem").write_bytes(pem(cert))
    (d / "chain.pem").write_bytes(pem(pki.intermediate.certificate) + pem(pki.root.certificate))
    revoked_at = now - timedelta(hours=1)
    crl = pki.crl(
        [
            RevokedEntry(revoked.serial_number, revoked_at, parse_reason("keyCompromise")),
            RevokedEntry(0x1000, revoked_at, parse_reason("cessationOfOperation")),
            RevokedEntry(0x1001, revoked_at, None),
        ],
        number=7,
        at=now,
    )
    (d / "crl.der").write_bytes(der(crl))
    (d / "crl.pem").write_bytes(pem(crl))
    (d / "crl-empty.der").write_bytes(der(pki.crl([], number=1, at=now)))
    # The root's CRL: an authority revocation list, naming some other (retired) intermediate.
    arl = pki.crl(
        [RevokedEntry(0x7E57, revoked_at, parse_reason("superseded"))],
        signer=pki.root,
        number=3,
        at=now,
    )
    (d / "arl.der").write_bytes(der(arl))
    (d / "arl.pem").write_bytes(pem(arl))
    answers = {
        "good": (leaves["client-ec"], SingleStatus(CertStatus.GOOD)),
        "revoked": (
            revoked,
            SingleStatus(CertStatus.REVOKED, revoked_at, x509.ReasonFlags.key_compromise),
        ),
        "unknown": (leaves["client-rsa"], SingleStatus(CertStatus.UNKNOWN)),
    }
    for name, (cert, answer) in answers.items():
        (d / f"ocsp-{name}.der").write_bytes(pki.ocsp_response(cert, answer, at=now))
    for profile in Pkcs12Profile:
        key = cached_key("p256")
        (d / f"{profile}.p12").write_bytes(
            build_pkcs12(
                key=key,
                certificate=leaves["client-ec"],
                chain=pki.chain,
                pin=PIN,
                friendly_name=FRIENDLY,
                profile=profile,
            )
        )
    return Made(pki=pki, dir=d, now=now, leaves=leaves, revoked=revoked)


LEAVES = ["client-rsa", "client-ec", "smime-rsa", "smime-ec"]
CERTS = ["root", "inter", "ocsp-signer", *LEAVES]


# --- OpenSSL -----------------------------------------------------------------------------


@pytest.mark.parametrize("leaf", [*LEAVES, "ocsp-signer"])
def test_openssl_verify_accepts_the_leaf_with_root_and_intermediate(made: Made, leaf: str) -> None:
    openssl = require_tool("openssl")
    out = run(
        [openssl, "verify", "-CAfile", made.path("root.pem")]
        + ["-untrusted", made.path("inter.pem"), made.path(f"{leaf}.pem")]
    )
    assert out.stdout.strip().endswith(": OK")


def test_openssl_verify_checks_the_purpose_of_client_and_smime_certificates(made: Made) -> None:
    openssl = require_tool("openssl")
    base = [
        openssl,
        "verify",
        "-CAfile",
        made.path("root.pem"),
        "-untrusted",
        made.path("inter.pem"),
    ]
    for leaf in LEAVES:
        run([*base, "-purpose", "sslclient", made.path(f"{leaf}.pem")])
        run([*base, "-purpose", "sslserver", made.path(f"{leaf}.pem")], ok=False)
    for leaf in ["smime-rsa", "smime-ec"]:
        run([*base, "-purpose", "smimesign", made.path(f"{leaf}.pem")])
    run([*base, "-purpose", "smimesign", made.path("client-ec.pem")], ok=False)


def test_openssl_verify_refuses_without_the_intermediate(made: Made) -> None:
    openssl = require_tool("openssl")
    out = run(
        [openssl, "verify", "-CAfile", made.path("root.pem"), made.path("client-ec.pem")], ok=False
    )
    assert "unable to get local issuer certificate" in out.stdout + out.stderr


def test_openssl_verify_with_every_crl_accepts_good_and_refuses_revoked(made: Made) -> None:
    openssl = require_tool("openssl")
    crls = made.path("crls.pem")
    crls.write_bytes(made.path("crl.pem").read_bytes() + made.path("arl.pem").read_bytes())
    base = [openssl, "verify", "-crl_check_all", "-CAfile", made.path("root.pem")]
    base += ["-untrusted", made.path("inter.pem"), "-CRLfile", crls]
    run([*base, made.path("client-ec.pem")])
    out = run([*base, made.path("revoked.pem")], ok=False)
    assert "certificate revoked" in out.stdout + out.stderr


@pytest.mark.parametrize(("crl", "ca"), [("crl", "chain"), ("crl-empty", "chain"), ("arl", "root")])
def test_openssl_crl_verifies_the_signature(made: Made, crl: str, ca: str) -> None:
    openssl = require_tool("openssl")
    out = run(
        [openssl, "crl", "-inform", "DER", "-in", made.path(f"{crl}.der")]
        + ["-CAfile", made.path(f"{ca}.pem"), "-noout", "-text"]
    )
    assert "verify OK" in out.stdout + out.stderr
    if crl == "crl":
        assert "X509v3 CRL Number: \n                7" in out.stdout
        assert "Key Compromise" in out.stdout and "Cessation Of Operation" in out.stdout
        assert "X509v3 Authority Key Identifier" in out.stdout


def test_openssl_crl_refuses_a_crl_under_the_wrong_ca(made: Made) -> None:
    openssl = require_tool("openssl")
    out = run(
        [openssl, "crl", "-inform", "DER", "-in", made.path("arl.der")]
        + ["-CAfile", made.path("inter.pem"), "-noout"],
        ok=False,
    )
    assert "verify OK" not in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("answer", "leaf", "shown"),
    [
        ("good", "client-ec", ": good"),
        ("revoked", "revoked", ": revoked"),
        ("unknown", "client-rsa", ": unknown"),
    ],
)
def test_openssl_ocsp_verifies_our_delegated_response(
    made: Made, answer: str, leaf: str, shown: str
) -> None:
    openssl = require_tool("openssl")
    out = run(
        [openssl, "ocsp", "-respin", made.path(f"ocsp-{answer}.der")]
        + ["-CAfile", made.path("root.pem"), "-verify_other", made.path("inter.pem")]
        + ["-issuer", made.path("inter.pem"), "-cert", made.path(f"{leaf}.pem")]
        + ["-no_nonce", "-resp_text"]
    )
    text = out.stdout + out.stderr
    assert "Response verify OK" in text
    assert shown in out.stdout
    assert "WARNING" not in text  # e.g. "Status times invalid"
    assert "Responder Id: " in out.stdout  # byKey
    if answer == "revoked":
        assert "Reason: keyCompromise" in out.stdout


@pytest.mark.parametrize("encoder", ["builder", "encoded once"])
def test_openssl_ocsp_request_gets_its_nonce_back(made: Made, encoder: str) -> None:
    # Both ways a response is made: cryptography's builder (build_response, one answer), and
    # a prepared responder's ocsp_der encoder (every served and pre-signed answer).
    openssl = require_tool("openssl")
    request = made.path("req-nonce.der")
    run(
        [openssl, "ocsp", "-issuer", made.path("inter.pem"), "-cert", made.path("client-ec.pem")]
        + ["-reqout", request]
    )
    query = parse_request(request.read_bytes())
    assert query.nonce is not None
    response = made.path("resp-nonce.der")
    if encoder == "builder":
        der = build_response(
            query.cert_id,
            SingleStatus(CertStatus.GOOD),
            responder=made.pki.ocsp,
            this_update=made.now,
            nonce=query.nonce,
        )
    else:
        prepared = prepare_responder(made.pki.ocsp, (made.pki.intermediate.certificate,))
        assert prepared.encoder is not None
        der = sign_response(
            query.cert_id,
            SingleStatus(CertStatus.GOOD),
            responder=prepared,
            this_update=made.now,
            nonce=query.nonce,
        )
    response.write_bytes(der)
    # No -cert here: with -cert, openssl builds a new request (and nonce) and ignores -reqin.
    out = run(
        [openssl, "ocsp", "-reqin", request, "-respin", response, "-resp_text"]
        + ["-CAfile", made.path("root.pem"), "-verify_other", made.path("inter.pem")]
    )
    text = out.stdout + out.stderr
    assert "Response verify OK" in text
    assert "Cert Status: good" in out.stdout
    assert "WARNING: no nonce" not in text and "Nonce Verify error" not in text
    assert f"OCSP Nonce: \n            0410{query.nonce.hex().upper()}" in out.stdout


def test_openssl_ocsp_refuses_a_response_from_another_hierarchy(made: Made) -> None:
    openssl = require_tool("openssl")
    other = build_test_pki(born=made.now - timedelta(days=1), label=" Other")
    stranger = made.path("stranger-root.pem")
    stranger.write_bytes(pem(other.root.certificate))
    out = run(
        [openssl, "ocsp", "-respin", made.path("ocsp-good.der"), "-CAfile", stranger]
        + ["-issuer", made.path("inter.pem"), "-cert", made.path("client-ec.pem")],
        ok=False,
    )
    assert "Response Verify Failure" in out.stdout + out.stderr


# --- PKCS#12 in NSS and GnuTLS ---------------------------------------------------------------


@pytest.mark.parametrize("profile", list(Pkcs12Profile))
def test_openssl_opens_both_profiles_without_legacy(made: Made, profile: Pkcs12Profile) -> None:
    openssl = require_tool("openssl")
    p12 = made.path(f"{profile}.p12")
    run([openssl, "pkcs12", "-in", p12, "-passin", f"pass:{PIN}", "-noout"])
    run([openssl, "pkcs12", "-in", p12, "-passin", "pass:wrong", "-noout"], ok=False)


@pytest.mark.parametrize("profile", list(Pkcs12Profile))
def test_pk12util_imports_both_profiles_into_a_fresh_nss_db(
    made: Made, profile: Pkcs12Profile, tmp_path: Path
) -> None:
    certutil, pk12util = require_tool("certutil"), require_tool("pk12util")
    db = f"sql:{tmp_path}"
    run([certutil, "-N", "-d", db, "--empty-password"])
    p12 = made.path(f"{profile}.p12")
    refused = run([pk12util, "-i", p12, "-d", db, "-W", "wrong-pin"], ok=False)
    assert "password" in (refused.stdout + refused.stderr).lower()
    run([pk12util, "-i", p12, "-d", db, "-W", PIN])
    listed = run([certutil, "-L", "-d", db]).stdout
    assert FRIENDLY in listed
    assert "Example Univ Client CA G1" in listed
    keys = run([certutil, "-K", "-d", db]).stdout
    assert FRIENDLY in keys


@pytest.mark.parametrize("profile", list(Pkcs12Profile))
def test_gnutls_certtool_reads_both_profiles(made: Made, profile: Pkcs12Profile) -> None:
    certtool = require_tool("certtool")
    p12 = made.path(f"{profile}.p12")
    out = run([certtool, "--p12-info", "--inder", "--infile", p12, "--password", PIN])
    assert f"Friendly name: {FRIENDLY}" in out.stdout
    assert out.stdout.count("BEGIN CERTIFICATE") == 3
    run([certtool, "--p12-info", "--inder", "--infile", p12, "--password", "wrong"], ok=False)


# --- pkilint -----------------------------------------------------------------------------------


def lint(tool: str, *args: object) -> None:
    out = run([require_tool(tool), "lint", "-s", "WARNING", *args])
    assert out.stdout.strip() == "", out.stdout


@pytest.mark.parametrize("cert", CERTS)
def test_pkilint_finds_nothing_in_each_certificate(made: Made, cert: str) -> None:
    lint("lint_pkix_cert", made.path(f"{cert}.pem"))


@pytest.mark.parametrize("crl", ["crl", "crl-empty"])
def test_pkilint_finds_nothing_in_the_intermediates_crl(made: Made, crl: str) -> None:
    lint("lint_crl", "-t", "CRL", "-p", "PKIX", made.path(f"{crl}.der"))


def test_pkilint_finds_nothing_in_the_roots_arl(made: Made) -> None:
    lint("lint_crl", "-t", "ARL", "-p", "PKIX", made.path("arl.der"))


@pytest.mark.parametrize("answer", ["good", "revoked", "unknown"])
def test_pkilint_finds_nothing_in_ocsp_responses(made: Made, answer: str) -> None:
    lint("lint_ocsp_response", made.path(f"ocsp-{answer}.der"))


@pytest.mark.parametrize(
    ("issuer", "subject"),
    [("root", "inter"), ("inter", "ocsp-signer"), *[("inter", leaf) for leaf in LEAVES]],
)
def test_pkilint_finds_nothing_in_each_issuer_subject_pair(
    made: Made, issuer: str, subject: str
) -> None:
    lint(
        "lint_pkix_signer_signee_cert_chain",
        made.path(f"{issuer}.pem"),
        made.path(f"{subject}.pem"),
    )


def test_pkilint_does_flag_a_certificate_made_without_the_core(made: Made) -> None:
    """The linter is live: a bare certificate under the root, without AKI, is an error."""
    key = cached_key("p256")
    root = made.pki.root
    bare = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bare")]))
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(0x0BAD)
        .not_valid_before(made.now)
        .not_valid_after(made.now + timedelta(days=1))
        .sign(root.private_key, signature_hash(root.private_key))
    )
    path = made.path("bare.pem")
    path.write_bytes(bare.public_bytes(serialization.Encoding.PEM))
    out = run([require_tool("lint_pkix_cert"), "lint", "-s", "WARNING", path], ok=False)
    assert "pkix.authority_key_identifier_extension_absent (ERROR)" in out.stdout
