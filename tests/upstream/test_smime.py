"""The service's mails are believed only when signed under the configured CA: the simulator's
signed notice verifies; a changed body, an unsigned mail and one signed under another CA do not."""

from __future__ import annotations

import pytest

from jitsuin.upstream.mails import MAX_MAIL_BYTES, Kind, parse_mail
from jitsuin.upstream.simulator import authority, config, notices
from jitsuin.upstream.smime import MailNotTrusted, verify_signed_mail
from tests.peers import require_tool
from tests.upstream.sim import make

URL = "https://127.0.0.1:9/upki-odcert/download/SPEntranceCliPin.jsp?t=abc"
DN = "CN=ﾔﾏﾀﾞ ﾀﾛｳ,OU=001,OU=情報環境機構,O=Example University,L=Kyoto,C=JP"


def _notice(directory, *, signed: bool = True) -> bytes:
    ca = authority.load(directory, "https://127.0.0.1:9", sign_mails=signed)
    settings = config.load(directory)
    return notices.access_pin(
        settings, ca.sign_mail, to="pki@example.ac.jp", dn=DN, url=URL, expires="2026/12/31"
    )


@pytest.fixture(scope="module")
def simulators(tmp_path_factory):
    require_tool("openssl")
    ours, theirs = tmp_path_factory.mktemp("ours"), tmp_path_factory.mktemp("theirs")
    make(ours / "sim", 9)
    make(theirs / "sim", 9)
    return ours / "sim", theirs / "sim"


def test_the_simulators_signed_notice_verifies(simulators) -> None:
    ours, _ = simulators
    raw = _notice(ours)
    verify_signed_mail(raw, ours / config.CA_CERT_FILE)
    notice = parse_mail(raw)
    assert notice is not None and (notice.kind, notice.url) == (Kind.ACCESS_PIN, URL)


def test_a_changed_body_does_not_verify(simulators) -> None:
    ours, _ = simulators
    raw = _notice(ours)
    tampered = raw.replace(b"t=abc", b"t=abd")
    assert tampered != raw
    with pytest.raises(MailNotTrusted, match="does not verify"):
        verify_signed_mail(tampered, ours / config.CA_CERT_FILE)


def test_an_unsigned_mail_is_not_trusted(simulators) -> None:
    ours, _ = simulators
    raw = _notice(ours, signed=False)
    assert parse_mail(raw) is not None  # a well-formed notice, only unsigned
    with pytest.raises(MailNotTrusted, match="not multipart/signed"):
        verify_signed_mail(raw, ours / config.CA_CERT_FILE)


def test_a_mail_signed_under_another_ca_is_not_trusted(simulators) -> None:
    ours, theirs = simulators
    with pytest.raises(MailNotTrusted, match="does not verify"):
        verify_signed_mail(_notice(theirs), ours / config.CA_CERT_FILE)


def test_a_signature_not_s_mime_and_an_oversized_mail_are_not_trusted(simulators) -> None:
    ours, _ = simulators
    raw = _notice(ours)
    other = raw.replace(b"application/pkcs7-signature", b"application/pgp-signature")
    with pytest.raises(MailNotTrusted, match="protocol"):
        verify_signed_mail(other, ours / config.CA_CERT_FILE)
    with pytest.raises(MailNotTrusted, match="bytes"):
        verify_signed_mail(raw + b" " * MAX_MAIL_BYTES, ours / config.CA_CERT_FILE)


def test_a_signature_verifies_against_the_ca_only(simulators, tmp_path) -> None:
    """The mail signer's own certificate as the 'CA' is no trust anchor for it."""
    ours, _ = simulators
    with pytest.raises(MailNotTrusted):
        verify_signed_mail(_notice(ours), ours / config.MAIL_CERT_FILE)
    with pytest.raises(FileNotFoundError):
        verify_signed_mail(_notice(ours), tmp_path / "missing.pem")
