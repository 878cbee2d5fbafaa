"""Certificates the core issues: profiles' extensions, serials, CSRs, issuer lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    ExtensionOID,
    NameOID,
)

from jitsuin.pki.errors import InvalidCsr, IssuerExpiresTooSoon, PkiError, WeakKey
from jitsuin.pki.issuance import issue_certificate, issue_from_csr, remaining_life
from jitsuin.pki.names import new_serial, person_subject
from jitsuin.pki.profiles import (
    CLIENT_AUTH,
    CLIENT_AUTH_SMIME,
    INTERMEDIATE_CA,
    ROOT_CA,
    end_entity_profile,
)
from tests.pki.factories import (
    AFTER_INTERMEDIATE_EXPIRED,
    EVERYTHING_VALID,
    INTERMEDIATE_NEARLY_EXPIRED,
    PKI_BORN,
    PUBLIC_URL,
    URLS,
    TestPki,
    cached_key,
    clock_at,
    csr_for,
    weak_rsa_key,
)

E = x509.Extension


def ext(certificate: x509.Certificate, kind: type) -> E:  # type: ignore[type-arg]
    return certificate.extensions.get_extension_for_class(kind)


def has(certificate: x509.Certificate, kind: type) -> bool:
    try:
        certificate.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return False
    return True


def key_usages(certificate: x509.Certificate) -> set[str]:
    usage = ext(certificate, x509.KeyUsage).value
    names = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
    ]
    return {name for name in names if getattr(usage, name)}


def ski(certificate: x509.Certificate) -> bytes:
    return ext(certificate, x509.SubjectKeyIdentifier).value.digest  # type: ignore[no-any-return]


# --- CA certificates ---------------------------------------------------------------------


def test_root_is_a_self_signed_ca_without_revocation_pointers(any_pki: TestPki) -> None:
    root = any_pki.root.certificate
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    constraints = ext(root, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length is None
    assert ext(root, x509.KeyUsage).critical
    assert key_usages(root) == {"key_cert_sign", "crl_sign"}
    assert not has(root, x509.CRLDistributionPoints)
    assert not has(root, x509.AuthorityInformationAccess)
    assert root.not_valid_after_utc - root.not_valid_before_utc == ROOT_CA.validity + timedelta(
        minutes=5
    )


def test_intermediate_has_path_length_0_and_points_at_the_root(any_pki: TestPki) -> None:
    inter = any_pki.intermediate.certificate
    inter.verify_directly_issued_by(any_pki.root.certificate)
    constraints = ext(inter, x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca is True
    assert constraints.value.path_length == 0
    assert key_usages(inter) == {"key_cert_sign", "crl_sign"}
    assert ext(inter, x509.AuthorityKeyIdentifier).value.key_identifier == ski(
        any_pki.root.certificate
    )
    assert not has(inter, x509.ExtendedKeyUsage)
    crl_dp = ext(inter, x509.CRLDistributionPoints).value
    assert [n.value for dp in crl_dp for n in dp.full_name] == [f"{PUBLIC_URL}/crl/test-root.crl"]
    assert inter.not_valid_before_utc == PKI_BORN - timedelta(minutes=5)
    assert inter.not_valid_after_utc == PKI_BORN + INTERMEDIATE_CA.validity


def test_ocsp_signer_has_ocsp_signing_and_nocheck_and_no_crl_pointer(any_pki: TestPki) -> None:
    signer = any_pki.ocsp.certificate
    signer.verify_directly_issued_by(any_pki.intermediate.certificate)
    assert ext(signer, x509.BasicConstraints).value.ca is False
    assert list(ext(signer, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    nocheck = ext(signer, x509.OCSPNoCheck)
    assert nocheck.oid == ExtensionOID.OCSP_NO_CHECK
    assert key_usages(signer) == {"digital_signature"}
    assert not has(signer, x509.CRLDistributionPoints)
    aia = ext(signer, x509.AuthorityInformationAccess).value
    assert [(d.access_method, d.access_location.value) for d in aia] == [
        (AuthorityInformationAccessOID.CA_ISSUERS, f"{PUBLIC_URL}/ca/client-ca-g1.crt")
    ]
    assert signer.not_valid_after_utc - signer.not_valid_before_utc == timedelta(days=90, minutes=5)


# --- end-entity certificates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "key_spec", "usages", "ekus"),
    [
        (CLIENT_AUTH, "rsa2048", {"digital_signature"}, [ExtendedKeyUsageOID.CLIENT_AUTH]),
        (CLIENT_AUTH, "p256", {"digital_signature"}, [ExtendedKeyUsageOID.CLIENT_AUTH]),
        (CLIENT_AUTH, "p384", {"digital_signature"}, [ExtendedKeyUsageOID.CLIENT_AUTH]),
        (
            CLIENT_AUTH_SMIME,
            "rsa2048",
            {"digital_signature", "key_encipherment"},
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION],
        ),
        (
            CLIENT_AUTH_SMIME,
            "p256",
            {"digital_signature", "key_agreement"},
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION],
        ),
    ],
)
def test_client_key_usages_fit_the_key_type_and_profile(
    pki: TestPki, profile: object, key_spec: str, usages: set[str], ekus: list[object]
) -> None:
    cert = pki.client(profile=profile, key_spec=key_spec)  # type: ignore[arg-type]
    assert ext(cert, x509.KeyUsage).critical
    assert key_usages(cert) == usages
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == ekus
    constraints = ext(cert, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca is False


def test_client_certificate_carries_everything_a_relying_party_needs(any_pki: TestPki) -> None:
    cert = any_pki.client(email="s2310042@example.ac.jp")
    cert.verify_directly_issued_by(any_pki.intermediate.certificate)
    san = ext(cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["s2310042@example.ac.jp"]
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ski(
        any_pki.intermediate.certificate
    )
    assert ski(cert) == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    crl_dp = ext(cert, x509.CRLDistributionPoints).value
    assert [n.value for dp in crl_dp for n in dp.full_name] == [URLS.crl_url("client-ca-g1")]
    aia = ext(cert, x509.AuthorityInformationAccess).value
    assert [(d.access_method, d.access_location.value) for d in aia] == [
        (AuthorityInformationAccessOID.OCSP, f"{PUBLIC_URL}/ocsp"),
        (AuthorityInformationAccessOID.CA_ISSUERS, f"{PUBLIC_URL}/ca/client-ca-g1.crt"),
    ]
    assert cert.issuer == any_pki.intermediate.certificate.subject
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == "s2310042"


def test_client_validity_is_the_profiles_backdated_five_minutes(pki: TestPki) -> None:
    cert = pki.client(at=EVERYTHING_VALID)
    assert cert.not_valid_before_utc == EVERYTHING_VALID - timedelta(minutes=5)
    assert cert.not_valid_after_utc == EVERYTHING_VALID + timedelta(days=730)
    short = pki.client(profile=end_entity_profile("client-auth", timedelta(days=30)))
    assert short.not_valid_after_utc == EVERYTHING_VALID + timedelta(days=30)


def test_public_urls_ignore_a_trailing_slash() -> None:
    assert type(URLS)(PUBLIC_URL + "/").crl_url("g1") == f"{PUBLIC_URL}/crl/g1.crl"


def test_profile_that_needs_an_email_refuses_to_issue_without_one(pki: TestPki) -> None:
    with pytest.raises(PkiError, match="profile client-auth needs an e-mail address"):
        pki.client(email=None)


def test_unknown_template_name_lists_the_known_ones() -> None:
    assert end_entity_profile("client-auth-smime") is CLIENT_AUTH_SMIME
    with pytest.raises(ValueError, match="known: client-auth, client-auth-smime"):
        end_entity_profile("server-auth")


# --- serials -------------------------------------------------------------------------------


def test_serials_are_positive_with_at_least_64_random_bits(pki: TestPki) -> None:
    cert = pki.client()
    assert cert.serial_number > 0
    assert cert.serial_number.bit_length() > 64
    assert cert.serial_number.bit_length() <= 159  # 20 octets, RFC 5280 4.1.2.2
    for _ in range(1000):
        serial = new_serial()
        assert (1 << 64) <= serial < (1 << 127)


def test_a_thousand_issued_serials_are_unique(pki: TestPki) -> None:
    key = cached_key("p256")
    clock = clock_at(EVERYTHING_VALID)
    subject = person_subject(common_name="Taro Sato", uid="t-sato")
    serials = {
        issue_certificate(
            profile=CLIENT_AUTH,
            subject=subject,
            public_key=key.public_key(),
            signer=pki.intermediate,
            clock=clock,
            urls=URLS,
            email="t-sato@example.ac.jp",
        ).serial_number
        for _ in range(1000)
    }
    assert len(serials) == 1000


def test_an_explicit_serial_is_used_as_given(pki: TestPki) -> None:
    assert pki.client(serial=0x1234567890ABCDEF12).serial_number == 0x1234567890ABCDEF12


# --- from a CSR ----------------------------------------------------------------------------


def _issue_csr(pki: TestPki, csr: object) -> x509.Certificate:
    return issue_from_csr(
        csr,  # type: ignore[arg-type]
        profile=CLIENT_AUTH,
        subject=person_subject(common_name="Hanako Yamada", uid="s2310042"),
        signer=pki.intermediate,
        clock=clock_at(EVERYTHING_VALID),
        urls=URLS,
        email="s2310042@example.ac.jp",
    )


@pytest.mark.parametrize("form", ["object", "pem-bytes", "pem-str", "der"])
def test_csr_in_any_form_gets_the_directory_subject_not_its_own(pki: TestPki, form: str) -> None:
    key = cached_key("rsa2048")
    csr = csr_for(key, "Administrator")
    given = {
        "object": csr,
        "pem-bytes": csr.public_bytes(serialization.Encoding.PEM),
        "pem-str": csr.public_bytes(serialization.Encoding.PEM).decode(),
        "der": csr.public_bytes(serialization.Encoding.DER),
    }[form]
    cert = _issue_csr(pki, given)
    assert cert.public_key() == key.public_key()
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Hanako Yamada"
    assert "Administrator" not in cert.subject.rfc4514_string()


def test_csr_with_a_broken_signature_is_refused(pki: TestPki) -> None:
    der = csr_for(cached_key("p256"), "whatever the user typed").public_bytes(
        serialization.Encoding.DER
    )
    tampered = der.replace(b"whatever the user typed", b"whatever the user tyPed")
    assert tampered != der
    with pytest.raises(InvalidCsr, match="signature does not verify"):
        _issue_csr(pki, tampered)


@pytest.mark.parametrize("data", [b"", b"hello", b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"])
def test_bytes_that_are_not_a_csr_are_refused(pki: TestPki, data: bytes) -> None:
    with pytest.raises(InvalidCsr, match="not a certificate signing request"):
        _issue_csr(pki, data)


def test_csr_with_an_rsa_1024_key_is_refused_as_weak(pki: TestPki) -> None:
    weak = weak_rsa_key()
    with pytest.raises(WeakKey, match="1024 bits is too weak"):
        _issue_csr(pki, csr_for(weak))


def test_csr_with_an_eddsa_key_is_refused(pki: TestPki) -> None:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ed")]))
        .sign(ed25519.Ed25519PrivateKey.generate(), None)
    )
    with pytest.raises(WeakKey, match="EdDSA"):
        _issue_csr(pki, csr)


def test_csr_with_a_p521_key_is_accepted(pki: TestPki) -> None:
    key = ec.generate_private_key(ec.SECP521R1())
    assert _issue_csr(pki, csr_for(key)).public_key() == key.public_key()


def test_issue_certificate_refuses_weak_keys_too(pki: TestPki) -> None:
    weak = weak_rsa_key()
    with pytest.raises(WeakKey):
        pki.client(key=weak)  # type: ignore[arg-type]


# --- a certificate never outlives its issuer -------------------------------------------------


def test_issuance_is_refused_when_the_issuer_expires_before_the_certificate(
    pki: TestPki,
) -> None:
    issuer_end = pki.intermediate.certificate.not_valid_after_utc
    remaining = (issuer_end - INTERMEDIATE_NEARLY_EXPIRED).days
    assert remaining < CLIENT_AUTH.validity.days
    with pytest.raises(IssuerExpiresTooSoon) as caught:
        pki.client(at=INTERMEDIATE_NEARLY_EXPIRED)
    message = str(caught.value)
    assert f"the issuing CA expires on {issuer_end:%Y-%m-%d}" in message
    assert f"({remaining} days left)" in message
    assert "before the 730 days this certificate would be valid" in message
    assert "activate a newer intermediate" in message


def test_a_shorter_profile_still_fits_under_a_nearly_expired_issuer(pki: TestPki) -> None:
    short = end_entity_profile("client-auth", timedelta(days=30))
    cert = pki.client(profile=short, at=INTERMEDIATE_NEARLY_EXPIRED)
    assert cert.not_valid_after_utc < pki.intermediate.certificate.not_valid_after_utc


def test_a_certificate_may_end_exactly_when_its_issuer_ends(pki: TestPki) -> None:
    issuer_end = pki.intermediate.certificate.not_valid_after_utc
    cert = issue_certificate(
        profile=CLIENT_AUTH,
        subject=person_subject(common_name="Edge", uid="edge"),
        public_key=cached_key("p256").public_key(),
        signer=pki.intermediate,
        clock=clock_at(INTERMEDIATE_NEARLY_EXPIRED),
        urls=URLS,
        email="edge@example.ac.jp",
        not_after=issuer_end,
    )
    assert cert.not_valid_after_utc == issuer_end


def test_issuance_under_an_expired_issuer_names_the_date_it_expired(pki: TestPki) -> None:
    issuer_end = pki.intermediate.certificate.not_valid_after_utc
    with pytest.raises(IssuerExpiresTooSoon, match=f"expired on {issuer_end:%Y-%m-%d %H:%M} UTC"):
        pki.client(at=AFTER_INTERMEDIATE_EXPIRED)


def test_remaining_life_reads_the_given_clock(pki: TestPki) -> None:
    left = remaining_life(pki.intermediate.certificate, clock_at(INTERMEDIATE_NEARLY_EXPIRED))
    assert left == timedelta(days=100)
