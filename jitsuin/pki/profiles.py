"""Certificate profiles as data: what each kind of certificate looks like."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier


@dataclass(frozen=True)
class CertificateProfile:
    name: str
    validity: timedelta
    is_ca: bool = False
    path_length: int | None = None
    extended_key_usages: tuple[ObjectIdentifier, ...] = ()
    ocsp_nocheck: bool = False
    # CRL distribution point and AIA (OCSP + caIssuers) pointing at the issuer.
    revocation_pointers: bool = True
    # Only caIssuers in the AIA (a delegated OCSP responder is not itself checked by OCSP).
    ca_issuers_only: bool = False
    needs_email: bool = False
    # digitalSignature alone even with emailProtection (a signer that never decrypts).
    signature_only: bool = False
    # Backdate notBefore a little so that clients with a slow clock accept a fresh certificate.
    backdate: timedelta = timedelta(minutes=5)

    def with_validity(self, validity: timedelta) -> CertificateProfile:
        return replace(self, validity=validity)

    @property
    def archives_key(self) -> bool:
        """Whether a key generated for this profile is archived for recovery: only keys that
        decrypt mail (emailProtection without signature_only). Client-auth keys never are."""
        return ExtendedKeyUsageOID.EMAIL_PROTECTION in self.extended_key_usages and not (
            self.signature_only or self.is_ca
        )


ROOT_CA = CertificateProfile(
    name="root-ca", validity=timedelta(days=20 * 365), is_ca=True, revocation_pointers=False
)
INTERMEDIATE_CA = CertificateProfile(
    name="intermediate-ca", validity=timedelta(days=10 * 365), is_ca=True, path_length=0
)
OCSP_SIGNER = CertificateProfile(
    name="ocsp-signer",
    validity=timedelta(days=90),
    extended_key_usages=(ExtendedKeyUsageOID.OCSP_SIGNING,),
    ocsp_nocheck=True,
    ca_issuers_only=True,
)
# Signs Wi-Fi onboarding profiles (Apple .mobileconfig, CMS SignedData). emailProtection, not
# codeSigning: CMS is S/MIME's signature format (OpenSSL's default smimesign purpose accepts it)
# and a key that sits on the web host must not be able to sign software trusted under the root.
# Not in the certificate registry, so no CRL or OCSP pointers: it is short-lived and replaced.
PROFILE_SIGNER = CertificateProfile(
    name="profile-signer",
    validity=timedelta(days=365),
    extended_key_usages=(ExtendedKeyUsageOID.EMAIL_PROTECTION,),
    signature_only=True,
    ca_issuers_only=True,
)
CLIENT_AUTH = CertificateProfile(
    name="client-auth",
    validity=timedelta(days=730),
    extended_key_usages=(ExtendedKeyUsageOID.CLIENT_AUTH,),
    needs_email=True,
)
CLIENT_AUTH_SMIME = replace(
    CLIENT_AUTH,
    name="client-auth-smime",
    extended_key_usages=(ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION),
)

END_ENTITY_PROFILES = {p.name: p for p in (CLIENT_AUTH, CLIENT_AUTH_SMIME)}


def end_entity_profile(name: str, validity: timedelta | None = None) -> CertificateProfile:
    """The end-entity template called ``name``, with ``validity`` when given."""
    try:
        profile = END_ENTITY_PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(END_ENTITY_PROFILES))
        raise ValueError(f"unknown certificate template {name!r}; known: {known}") from None
    return profile if validity is None else profile.with_validity(validity)
