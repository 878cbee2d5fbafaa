from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.authorities.revocations import revoke_authority
from jitsuin.lifecycle.verdict import check_certificate
from jitsuin.pki.errors import NotACertificate, WrongPin
from tests.revocation.factories import issue, issue_expired, make_hierarchy, revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def pki(db):  # type: ignore[no-untyped-def]
    return make_hierarchy()


def test_a_fresh_certificate_is_valid_in_japanese_and_english(pki):
    issued = issue(pki.current)
    ja = check_certificate(issued.pem)
    en = check_certificate(issued.der, lang="en")
    assert ja.status == en.status == "valid" and ja.ok
    assert "有効" in ja.message
    assert en.message.startswith("This certificate is valid until")
    assert en.serial_hex and en.serial_decimal == str(issued.certificate.serial_number)


def test_a_revoked_certificate_says_when_and_why(pki):
    issued = issue(pki.current)
    row = revoke(issued, reason="keyCompromise")
    verdict = check_certificate(issued.pem, lang="en")
    assert verdict.status == "revoked" and verdict.revoked_at == row.revoked_at
    assert verdict.reason == "keyCompromise" and "key compromise" in verdict.message
    assert "request one in the portal" in verdict.advice


def test_an_expired_certificate(pki):
    verdict = check_certificate(issue_expired(pki.current).pem, lang="en")
    assert verdict.status == "expired" and "expired on" in verdict.message


def test_not_yet_valid_when_the_clock_is_before_not_before(pki):
    issued = issue(pki.current)
    verdict = check_certificate(issued.pem, now=timezone.now() - timedelta(days=3))
    assert verdict.status == "not_yet_valid"


def test_a_certificate_under_a_revoked_intermediate(pki):
    issued = issue(pki.old)
    revoke_authority(pki.old.name, reason="superseded", actor="test")
    verdict = check_certificate(issued.pem, lang="en")
    assert verdict.status == "issuer_revoked" and pki.old.name in verdict.message


def test_a_scheduled_intermediate_revocation_is_not_yet_in_effect(pki):
    issued = issue(pki.old)
    at = timezone.now() + timedelta(days=1)
    revoke_authority(pki.old.name, reason="superseded", at=at, actor="test")
    assert check_certificate(issued.pem).status == "switch_now"
    assert check_certificate(issued.pem, now=at + timedelta(seconds=1)).status == "issuer_revoked"


def _weekday_time_ja(moment):  # type: ignore[no-untyped-def]
    local = timezone.localtime(moment)
    weekday = "月火水木金土日"[local.weekday()]
    return f"{local.month}月{local.day}日（{weekday}）{local:%H:%M}"


def test_a_scheduled_revocation_says_valid_until_then_switch_now_never_nothing_to_do(pki):
    issued = issue(pki.old)
    at = timezone.now() + timedelta(days=1)
    revoke_authority(pki.old.name, reason="superseded", at=at, actor="test")
    ja = check_certificate(issued.pem)
    en = check_certificate(issued.pem, lang="en")
    assert ja.status == en.status == "switch_now"
    assert ja.ok and ja.action_needed and ja.stops_working_at == at and ja.revoked_at is None
    assert f"{_weekday_time_ja(at)} まで有効です — 今すぐ切り替えてください" in ja.message
    assert "対応は不要" not in ja.message + ja.advice
    local = timezone.localtime(at)
    assert f"valid until {local:%a} {local.day} {local:%b %H:%M} — switch now" in en.message
    assert pki.old.name in en.advice and "Nothing to do" not in en.advice


def test_a_certificate_of_the_new_ca_stays_plainly_valid_during_the_campaign(pki):
    issued = issue(pki.current)
    revoke_authority(
        pki.old.name, reason="superseded", at=timezone.now() + timedelta(days=1), actor="test"
    )
    verdict = check_certificate(issued.pem, lang="en")
    assert verdict.status == "valid" and not verdict.action_needed
    assert verdict.stops_working_at is None and "Nothing to do" in verdict.advice


def test_a_stranger_certificate_has_an_unknown_issuer(pki, db):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from jitsuin.pki.clock import FixedClock
    from jitsuin.pki.issuance import create_root
    from jitsuin.pki.keys import KeySpec, generate_private_key

    key = generate_private_key(KeySpec.parse("p256"))
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Elsewhere CA")])
    stranger = create_root(name, key, FixedClock(timezone.now()))
    verdict = check_certificate(stranger.public_bytes(serialization.Encoding.PEM), lang="en")
    assert verdict.status == "unknown_issuer" and "Elsewhere CA" in verdict.message


def test_pkcs12_needs_its_pin(pki):
    issued = issue(pki.current)
    data = issued.pkcs12("k7vm-p3xa-9ftq")
    assert check_certificate(data, pin="k7vm-p3xa-9ftq").status == "valid"
    with pytest.raises(WrongPin):
        check_certificate(data)
    with pytest.raises(WrongPin):
        check_certificate(data, pin="wrong")
    with pytest.raises(NotACertificate):
        check_certificate(b"not a certificate at all")


def test_der_ending_in_a_whitespace_byte_is_read_whole(pki):
    # A DER certificate may end in 0x20 or 0x0a; stripping it would corrupt the signature.
    for _ in range(200):
        issued = issue(pki.current)
        if issued.der[-1:] in (b" ", b"\n", b"\t", b"\r", b"\x0b", b"\x0c"):
            break
    else:
        pytest.skip("no certificate ending in a whitespace byte in 200 tries")
    assert check_certificate(issued.der).status == "valid"
