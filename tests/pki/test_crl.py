"""Certificate revocation lists built by the core."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import (
    DEFAULT_CRL_VALIDITY,
    ENTRY_REASONS,
    RevokedEntry,
    assemble_crl,
    build_crl,
    crl_number_of,
    encode_entry,
    parse_reason,
)
from tests.peers import require_tool
from tests.pki.factories import EVERYTHING_VALID, TestPki

REVOKED_AT = EVERYTHING_VALID - timedelta(days=3)


def test_crl_is_signed_by_its_ca_with_number_and_times(any_pki: TestPki) -> None:
    crl = any_pki.crl(number=42)
    assert crl.is_signature_valid(any_pki.intermediate.certificate.public_key())  # type: ignore[arg-type]
    assert not crl.is_signature_valid(any_pki.root.certificate.public_key())  # type: ignore[arg-type]
    assert crl.issuer == any_pki.intermediate.certificate.subject
    assert crl_number_of(crl) == 42
    assert crl.last_update_utc == EVERYTHING_VALID
    assert crl.next_update_utc == EVERYTHING_VALID + DEFAULT_CRL_VALIDITY
    assert len(crl) == 0


def test_crl_aki_is_the_issuers_ski(pki: TestPki) -> None:
    crl = pki.crl()
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    ski = pki.intermediate.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert aki.value.key_identifier == ski.value.digest
    assert not aki.critical


def test_entries_carry_serial_date_and_reason(pki: TestPki) -> None:
    compromised, left, plain = pki.client(), pki.client(), pki.client()
    crl = pki.crl(
        [
            RevokedEntry(compromised.serial_number, REVOKED_AT, parse_reason("keyCompromise")),
            RevokedEntry(left.serial_number, REVOKED_AT, parse_reason("cessationOfOperation")),
            RevokedEntry(plain.serial_number, REVOKED_AT, None),
        ]
    )
    assert len(crl) == 3
    entry = crl.get_revoked_certificate_by_serial_number(compromised.serial_number)
    assert entry is not None
    assert entry.revocation_date_utc == REVOKED_AT
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is (
        x509.ReasonFlags.key_compromise
    )
    entry = crl.get_revoked_certificate_by_serial_number(left.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is (
        x509.ReasonFlags.cessation_of_operation
    )
    entry = crl.get_revoked_certificate_by_serial_number(plain.serial_number)
    assert entry is not None
    assert len(entry.extensions) == 0
    assert crl.get_revoked_certificate_by_serial_number(pki.client().serial_number) is None


def test_unspecified_reason_is_left_out_as_rfc_5280_asks(pki: TestPki) -> None:
    serial = pki.client().serial_number
    crl = pki.crl([RevokedEntry(serial, REVOKED_AT, parse_reason("unspecified"))])
    entry = crl.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None and len(entry.extensions) == 0


def test_a_revocation_time_in_the_future_is_clamped_to_this_update(pki: TestPki) -> None:
    serial = pki.client().serial_number
    crl = pki.crl([RevokedEntry(serial, EVERYTHING_VALID + timedelta(hours=2))])
    entry = crl.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None and entry.revocation_date_utc == EVERYTHING_VALID


def test_root_crl_lists_a_revoked_intermediate(pki: TestPki) -> None:
    serial = pki.intermediate.certificate.serial_number
    arl = pki.crl([RevokedEntry(serial, REVOKED_AT, parse_reason("superseded"))], signer=pki.root)
    assert arl.issuer == pki.root.certificate.subject
    assert arl.is_signature_valid(pki.root.certificate.public_key())  # type: ignore[arg-type]
    assert arl.get_revoked_certificate_by_serial_number(serial) is not None


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("keyCompromise", x509.ReasonFlags.key_compromise),
        ("cACompromise", x509.ReasonFlags.ca_compromise),
        ("affiliationChanged", x509.ReasonFlags.affiliation_changed),
        ("superseded", x509.ReasonFlags.superseded),
        ("cessationOfOperation", x509.ReasonFlags.cessation_of_operation),
        ("certificateHold", x509.ReasonFlags.certificate_hold),
        ("privilegeWithdrawn", x509.ReasonFlags.privilege_withdrawn),
        ("aACompromise", x509.ReasonFlags.aa_compromise),
        ("unspecified", x509.ReasonFlags.unspecified),
    ],
)
def test_reasons_parse_in_rfc_5280_spelling(name: str, flag: x509.ReasonFlags) -> None:
    assert parse_reason(name) is flag


@pytest.mark.parametrize("name", ["removeFromCRL", "key_compromise", "stolen", ""])
def test_unknown_or_delta_only_reasons_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown revocation reason"):
        parse_reason(name)
    assert "removeFromCRL" not in ENTRY_REASONS


def test_every_entry_reason_round_trips_through_a_crl(pki: TestPki) -> None:
    entries = [
        RevokedEntry(1000 + i, REVOKED_AT, flag) for i, flag in enumerate(ENTRY_REASONS.values())
    ]
    crl = pki.crl(entries)
    for entry in entries:
        found = crl.get_revoked_certificate_by_serial_number(entry.serial)
        assert found is not None
        if entry.reason is x509.ReasonFlags.unspecified:
            continue
        reason = found.extensions.get_extension_for_class(x509.CRLReason).value.reason
        assert reason is entry.reason


def test_a_crl_of_five_thousand_entries_lists_every_one_in_order(pki: TestPki) -> None:
    entries = [RevokedEntry(0x10_0000 + i, REVOKED_AT) for i in range(5000)]
    crl = pki.crl(entries, number=9)
    assert [revoked.serial_number for revoked in crl] == [e.serial for e in entries]
    assert crl.is_signature_valid(pki.intermediate.certificate.public_key())  # type: ignore[arg-type]


# ---- assembled from pre-encoded entries (the publication's fast path) -------------------------

EVERY_KIND = [
    *(RevokedEntry(0x2000 + i, REVOKED_AT, flag) for i, flag in enumerate(ENTRY_REASONS.values())),
    RevokedEntry(0x3000, REVOKED_AT, None),
    RevokedEntry(0x7FFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF, REVOKED_AT.replace(microsecond=7)),
]


def _both(pki: TestPki, entries: list[RevokedEntry]) -> tuple[x509.CertificateRevocationList, ...]:
    clock = FixedClock(EVERYTHING_VALID)
    old = build_crl(pki.intermediate, entries, crl_number=7, clock=clock)
    der = assemble_crl(
        pki.intermediate, [encode_entry(e) for e in entries], crl_number=7, clock=clock
    )
    return old, x509.load_der_x509_crl(der)


def test_an_assembled_crl_equals_the_built_one_field_by_field(any_pki: TestPki) -> None:
    old, new = _both(any_pki, EVERY_KIND)
    assert new.is_signature_valid(any_pki.intermediate.certificate.public_key())  # type: ignore[arg-type]
    assert new.issuer == old.issuer
    assert (new.last_update_utc, new.next_update_utc) == (old.last_update_utc, old.next_update_utc)
    assert new.signature_algorithm_oid == old.signature_algorithm_oid
    assert new.signature_hash_algorithm.name == old.signature_hash_algorithm.name  # type: ignore[union-attr]
    assert list(new.extensions) == list(old.extensions)
    assert crl_number_of(new) == 7
    assert len(new) == len(old) == len(EVERY_KIND)
    for mine, theirs in zip(new, old, strict=True):
        assert mine.serial_number == theirs.serial_number
        assert mine.revocation_date_utc == theirs.revocation_date_utc
        assert list(mine.extensions) == list(theirs.extensions)
    # Everything but the signature is byte for byte cryptography's.
    assert new.tbs_certlist_bytes == old.tbs_certlist_bytes


def test_an_assembled_crl_without_entries_leaves_the_list_out(any_pki: TestPki) -> None:
    old, new = _both(any_pki, [])
    assert len(new) == 0
    assert new.tbs_certlist_bytes == old.tbs_certlist_bytes


def test_entries_after_2049_are_encoded_in_generalized_time(pki: TestPki) -> None:
    late = datetime(2050, 1, 2, 3, 4, 5, tzinfo=UTC)
    entry = RevokedEntry(0x4242, late, parse_reason("superseded"))
    old = build_crl(pki.intermediate, [entry], crl_number=1, clock=FixedClock(late))
    der = assemble_crl(
        pki.intermediate, [encode_entry(entry)], crl_number=1, clock=FixedClock(late)
    )
    assert x509.load_der_x509_crl(der).tbs_certlist_bytes == old.tbs_certlist_bytes


@pytest.mark.peers
def test_openssl_verifies_an_assembled_crl(any_pki: TestPki, tmp_path: Path) -> None:
    openssl = require_tool("openssl")
    der = assemble_crl(
        any_pki.intermediate,
        [encode_entry(e) for e in EVERY_KIND],
        crl_number=3,
        clock=FixedClock(EVERYTHING_VALID),
    )
    (tmp_path / "crl.der").write_bytes(der)
    (tmp_path / "ca.pem").write_bytes(
        any_pki.intermediate.certificate.public_bytes(serialization.Encoding.PEM)
    )
    done = subprocess.run(
        [
            openssl,
            "crl",
            "-inform",
            "DER",
            "-in",
            tmp_path / "crl.der",
            "-noout",
            "-text",
            "-verify",
            "-CAfile",
            tmp_path / "ca.pem",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "verify OK" in done.stderr
    assert "Key Compromise" in done.stdout and "Certificate Hold" in done.stdout
