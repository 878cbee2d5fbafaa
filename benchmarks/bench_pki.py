"""The pki core against bare ``cryptography``: what our profiles, checks and wrappers cost.

    python -m benchmarks pki        (or `make bench` for every benchmark)

Prints certificates issued per second through ``issue_certificate`` and through a bare
``CertificateBuilder.sign`` with the same CA key, the time to build a 10,000-entry CRL
with ``build_crl`` and with a bare ``CertificateRevocationListBuilder``, and OCSP
responses signed per second by the delegated responder. Figures, not pass/fail.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.x509.oid import NameOID

from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import RevokedEntry, build_crl, parse_reason
from jitsuin.pki.issuance import PublicUrls, Signer, create_root, issue_certificate, signature_hash
from jitsuin.pki.keys import KeySpec, generate_private_key
from jitsuin.pki.names import new_serial, person_subject
from jitsuin.pki.ocsp import CertStatus, SingleStatus, build_response, cert_id_for
from jitsuin.pki.profiles import CLIENT_AUTH, INTERMEDIATE_CA, OCSP_SIGNER

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
URLS = PublicUrls("https://pki.example.ac.jp")
# Scale with JITSUIN_BENCH_SCALE (e.g. 0.1 for a quick look).
SCALE = float(os.environ.get("JITSUIN_BENCH_SCALE", "1"))
CRL_ENTRIES = 10_000


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example University"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _hierarchy(ca_spec: str) -> tuple[Signer, Signer]:
    clock = FixedClock(NOW - timedelta(days=1))
    root_key = generate_private_key(KeySpec.parse(ca_spec))
    root = Signer(create_root(_name("Bench Root"), root_key, clock), root_key, "root")
    key = generate_private_key(KeySpec.parse(ca_spec))
    inter_cert = issue_certificate(
        profile=INTERMEDIATE_CA,
        subject=_name("Bench Issuing CA"),
        public_key=key.public_key(),
        signer=root,
        clock=clock,
        urls=URLS,
    )
    inter = Signer(inter_cert, key, "g1")
    ocsp_key = generate_private_key(KeySpec.parse("p256" if ca_spec.startswith("p") else "rsa2048"))
    ocsp_cert = issue_certificate(
        profile=OCSP_SIGNER,
        subject=_name("Bench OCSP"),
        public_key=ocsp_key.public_key(),
        signer=inter,
        clock=clock,
        urls=URLS,
    )
    return inter, Signer(ocsp_cert, ocsp_key, "g1")


def _rate(n: int, fn: Callable[[int], object]) -> float:
    """Calls per second of ``fn`` over ``n`` calls (after one warm-up call)."""
    fn(-1)
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - started)


def _seconds(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best of ``repeat`` wall-clock times of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def bench_issuance(ca_spec: str, n: int) -> None:
    inter, _ = _hierarchy(ca_spec)
    subject_key = generate_private_key(KeySpec.parse("p256"))
    public_key = subject_key.public_key()
    clock = FixedClock(NOW)
    subject = person_subject(common_name="Hanako Yamada", uid="s2310042", organization="Example")

    def ours(_: int) -> object:
        return issue_certificate(
            profile=CLIENT_AUTH,
            subject=subject,
            public_key=public_key,
            signer=inter,
            clock=clock,
            urls=URLS,
            email="s2310042@example.ac.jp",
        )

    algorithm = signature_hash(inter.private_key)

    def bare(_: int) -> object:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(inter.certificate.subject)
            .public_key(public_key)
            .serial_number(new_serial())
            .not_valid_before(NOW)
            .not_valid_after(NOW + CLIENT_AUTH.validity)
            .sign(inter.private_key, algorithm)
        )

    ours_rate, bare_rate = _rate(n, ours), _rate(n, bare)
    print(
        f"issuance, {ca_spec} CA, p256 subject key, {n} certificates: "
        f"issue_certificate {ours_rate:,.0f}/s, bare CertificateBuilder.sign {bare_rate:,.0f}/s, "
        f"ours costs {bare_rate / ours_rate:.2f}x bare"
    )


def bench_crl(ca_spec: str, entries: int) -> None:
    inter, _ = _hierarchy(ca_spec)
    revoked_at = NOW - timedelta(days=1)
    reason = parse_reason("keyCompromise")
    rows = [RevokedEntry(new_serial(), revoked_at, reason) for _ in range(entries)]
    clock = FixedClock(NOW)
    algorithm = signature_hash(inter.private_key)

    def ours() -> object:
        return build_crl(inter, rows, crl_number=1, clock=clock)

    def bare() -> object:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(inter.certificate.subject)
            .last_update(NOW)
            .next_update(NOW + timedelta(days=7))
        )
        for row in rows:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(row.serial)
                .revocation_date(row.revoked_at)
                .add_extension(x509.CRLReason(reason), critical=False)
                .build()
            )
        return builder.sign(inter.private_key, algorithm)

    ours_s, bare_s = _seconds(ours), _seconds(bare)
    print(
        f"CRL, {ca_spec} CA, {entries:,} entries with reasons: build_crl {ours_s * 1000:,.0f} ms, "
        f"bare CertificateRevocationListBuilder {bare_s * 1000:,.0f} ms, "
        f"ours costs {ours_s / bare_s:.2f}x bare"
    )


def bench_ocsp(ca_spec: str, n: int) -> None:
    inter, responder = _hierarchy(ca_spec)
    cert_id = cert_id_for(new_serial(), inter.certificate)
    answers = [
        SingleStatus(CertStatus.GOOD),
        SingleStatus(CertStatus.REVOKED, NOW - timedelta(days=1), parse_reason("superseded")),
    ]

    def sign(i: int) -> object:
        return build_response(
            cert_id, answers[i % 2], responder=responder, this_update=NOW, nonce=b"0123456789abcdef"
        )

    rate = _rate(n, sign)
    kind = "p256" if ca_spec.startswith("p") else "rsa2048"
    print(f"OCSP, {kind} delegated responder, {n} responses (good/revoked, nonce): {rate:,.0f}/s")


def main() -> None:
    n = max(20, int(1000 * SCALE))
    bench_issuance("p384", n)
    bench_issuance("rsa3072", max(20, n // 5))
    bench_crl("p384", max(100, int(CRL_ENTRIES * SCALE)))
    bench_ocsp("p384", n)
    bench_ocsp("rsa3072", max(20, n // 2))


if __name__ == "__main__":
    main()
