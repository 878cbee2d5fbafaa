"""ProfileInputs for the builder tests, made by the pki core from the test hierarchy."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

from cryptography import x509

from jitsuin.pki.issuance import create_root, issue_certificate
from jitsuin.pki.onboarding import Helpdesk, ProfileInputs, SigningIdentity
from jitsuin.pki.onboarding.realm import identifier_for, identities
from jitsuin.pki.pkcs12 import build_pkcs12
from jitsuin.pki.profiles import PROFILE_SIGNER
from tests.pki.factories import (
    EVERYTHING_VALID,
    PKI_BORN,
    URLS,
    ca_name,
    cached_key,
    clock_at,
    shared_pki,
    shared_rsa_pki,
)

PIN = "abcd-efgh-jkmn"
REALM = "example.ac.jp"
SERVER_NAMES = ("radius.example.ac.jp", "radius2.example.ac.jp")


@functools.cache
def radius_ca() -> x509.Certificate:
    """The RADIUS server's own CA: not jitsuin's hierarchy, as JITSUIN_RADIUS_SERVER_CA allows."""
    return create_root(
        ca_name("Example Univ RADIUS Server CA"),
        cached_key("p256", "radius-ca"),
        clock_at(PKI_BORN),
    )


@functools.cache
def profile_signer(rsa: bool = False) -> SigningIdentity:
    """A PROFILE_SIGNER under the test intermediate (the RSA hierarchy's with ``rsa``)."""
    pki = shared_rsa_pki() if rsa else shared_pki()
    key = cached_key("rsa2048" if rsa else "p256", "profile-signer")
    certificate = issue_certificate(
        profile=PROFILE_SIGNER,
        subject=ca_name("Example Univ Wi-Fi Profile Signer"),
        public_key=key.public_key(),
        signer=pki.intermediate,
        clock=clock_at(EVERYTHING_VALID),
        urls=URLS,
    )
    return SigningIdentity(key=key, certificate=certificate, chain=(pki.intermediate.certificate,))


@functools.cache
def _base_inputs() -> ProfileInputs:
    pki = shared_pki()
    key = cached_key("p256", "wifi-user")
    certificate = pki.client(key=key)
    chain = (pki.intermediate.certificate,)
    identity, anonymous = identities("s2310042", REALM)
    return ProfileInputs(
        key=key,
        certificate=certificate,
        chain=chain,
        pkcs12=build_pkcs12(
            key=key, certificate=certificate, chain=chain, pin=PIN, friendly_name="Hanako Yamada"
        ),
        pin=PIN,
        identity=identity,
        anonymous_identity=anonymous,
        ssids=("campus-secure", "eduroam"),
        server_names=SERVER_NAMES,
        server_cas=(radius_ca(),),
        institution="Example University",
        helpdesk=Helpdesk(
            email="helpdesk@example.ac.jp",
            url="https://help.example.ac.jp/",
            phone="+81-3-0000-0000",
        ),
        identifier=identifier_for(REALM),
        realm=REALM,
        signer=profile_signer(),
    )


def sample_inputs(**changes: Any) -> ProfileInputs:
    """One person's inputs (signed, eduroam + campus SSIDs); ``changes`` replace fields."""
    return replace(_base_inputs(), **changes)
