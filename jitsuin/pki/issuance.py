"""Building and signing certificates from a profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from jitsuin.pki.clock import Clock
from jitsuin.pki.errors import InvalidCsr, IssuerExpiresTooSoon, PkiError
from jitsuin.pki.keys import PrivateKey, PublicKey, check_public_key
from jitsuin.pki.loading import load_csr
from jitsuin.pki.names import new_serial
from jitsuin.pki.profiles import ROOT_CA, CertificateProfile


@dataclass(frozen=True)
class PublicUrls:
    """Where relying parties fetch CA certificates, CRLs and OCSP answers."""

    base_url: str

    @property
    def _base(self) -> str:
        return self.base_url.rstrip("/")

    def crl_url(self, slug: str) -> str:
        return f"{self._base}/crl/{slug}.crl"

    def ocsp_url(self) -> str:
        return f"{self._base}/ocsp"

    def ca_issuers_url(self, slug: str) -> str:
        return f"{self._base}/ca/{slug}.crt"


@dataclass(frozen=True)
class Signer:
    """A CA certificate with its private key; ``slug`` names its CRL and certificate URLs."""

    certificate: x509.Certificate
    private_key: PrivateKey
    slug: str


def signature_hash(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def sign_bytes(key: PrivateKey, data: bytes) -> bytes:
    """Sign ``data`` as cryptography's builders sign a TBS structure with ``key``: ECDSA, or
    RSA PKCS#1 v1.5, with ``signature_hash``."""
    algorithm = signature_hash(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm))
    return key.sign(data, padding.PKCS1v15(), algorithm)


def _key_usage(profile: CertificateProfile, public_key: PublicKey) -> x509.KeyUsage:
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    encrypts = (
        ExtendedKeyUsageOID.EMAIL_PROTECTION in profile.extended_key_usages
        and not profile.signature_only
    )
    return x509.KeyUsage(
        digital_signature=not profile.is_ca,
        content_commitment=False,
        key_encipherment=encrypts and is_rsa,
        data_encipherment=False,
        key_agreement=encrypts and not is_rsa,
        key_cert_sign=profile.is_ca,
        crl_sign=profile.is_ca,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_identifier(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(
            check_public_key(issuer.public_key())
        )


def _builder(
    profile: CertificateProfile,
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PublicKey,
    not_before: datetime,
    not_after: datetime,
    serial: int,
) -> x509.CertificateBuilder:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=profile.is_ca, path_length=profile.path_length), critical=True
        )
        .add_extension(_key_usage(profile, public_key), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if profile.extended_key_usages:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(list(profile.extended_key_usages)), critical=False
        )
    if profile.ocsp_nocheck:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    return builder


def create_root(
    subject: x509.Name,
    key: PrivateKey,
    clock: Clock,
    *,
    profile: CertificateProfile = ROOT_CA,
) -> x509.Certificate:
    """A self-signed trust anchor."""
    now = clock.now()
    public_key = check_public_key(key.public_key())
    builder = _builder(
        profile,
        subject=subject,
        issuer=subject,
        public_key=public_key,
        not_before=now - profile.backdate,
        not_after=now + profile.validity,
        serial=new_serial(),
    )
    return builder.sign(key, signature_hash(key))


def issue_certificate(
    *,
    profile: CertificateProfile,
    subject: x509.Name,
    public_key: object,
    signer: Signer,
    clock: Clock,
    urls: PublicUrls,
    email: str | None = None,
    serial: int | None = None,
    not_after: datetime | None = None,
) -> x509.Certificate:
    """Sign a certificate for ``public_key`` under ``signer`` following ``profile``.

    Refuses weak keys, a missing e-mail for a profile that needs one, and a validity
    that would outlive the issuing CA.
    """
    checked_key = check_public_key(public_key)
    now = clock.now()
    not_before = now - profile.backdate
    not_after = not_after or now + profile.validity
    issuer_end = signer.certificate.not_valid_after_utc
    if issuer_end <= now:
        raise IssuerExpiresTooSoon(f"the issuing CA expired on {issuer_end:%Y-%m-%d %H:%M} UTC")
    if not_after > issuer_end:
        remaining = (issuer_end - now).days
        raise IssuerExpiresTooSoon(
            f"the issuing CA expires on {issuer_end:%Y-%m-%d} ({remaining} days left), before the "
            f"{profile.validity.days} days this certificate would be valid; activate a newer "
            "intermediate or shorten the profile's validity"
        )
    if profile.needs_email and not email:
        raise PkiError(f"profile {profile.name} needs an e-mail address for the certificate")
    builder = _builder(
        profile,
        subject=subject,
        issuer=signer.certificate.subject,
        public_key=checked_key,
        not_before=not_before,
        not_after=not_after,
        serial=serial if serial is not None else new_serial(),
    ).add_extension(_authority_key_identifier(signer.certificate), critical=False)
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    if profile.revocation_pointers:
        access = [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(urls.ca_issuers_url(signer.slug)),
            )
        ]
        if not profile.ca_issuers_only:
            access.insert(
                0,
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(urls.ocsp_url()),
                ),
            )
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(urls.crl_url(signer.slug))],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    return builder.sign(signer.private_key, signature_hash(signer.private_key))


def issue_from_csr(
    csr_data: bytes | str | x509.CertificateSigningRequest,
    *,
    profile: CertificateProfile,
    subject: x509.Name,
    signer: Signer,
    clock: Clock,
    urls: PublicUrls,
    email: str | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    """Issue for the key in a CSR after verifying its self-signature.

    The subject and e-mail come from the directory, never from the CSR: a user can ask
    only for a certificate in their own name.
    """
    csr = csr_data if isinstance(csr_data, x509.CertificateSigningRequest) else load_csr(csr_data)
    try:
        public_key = csr.public_key()
    except ValueError as exc:
        raise InvalidCsr("the CSR's public key cannot be read") from exc
    check_public_key(public_key)
    if not csr.is_signature_valid:
        raise InvalidCsr("the CSR's signature does not verify: it was changed or made wrongly")
    return issue_certificate(
        profile=profile,
        subject=subject,
        public_key=public_key,
        signer=signer,
        clock=clock,
        urls=urls,
        email=email,
        serial=serial,
    )


def remaining_life(certificate: x509.Certificate, clock: Clock) -> timedelta:
    return certificate.not_valid_after_utc - clock.now()
