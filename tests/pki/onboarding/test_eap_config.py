"""The eap-config file: valid against the format, and read the way the geteduroam apps read it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
import xmlschema
from cryptography import x509
from defusedxml.ElementTree import fromstring

from jitsuin.pki.onboarding import Helpdesk, eap_config
from jitsuin.pki.pkcs12 import Pkcs12Contents, load_pkcs12
from tests.pki.onboarding.sample_inputs import PIN, SERVER_NAMES, radius_ca, sample_inputs

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("eap-metadata.xsd"))


@dataclass(frozen=True)
class AppNetwork:
    """What geteduroam linux-app's eap.Network() keeps from an eap-config file."""

    provider_id: str
    ssid: str
    min_rsn: str
    consortium_oids: list[str]
    cas: list[x509.Certificate]
    server_ids: list[str]
    anonymous_identity: str
    credential: Pkcs12Contents
    name: str
    helpdesk: dict[str, str]


def _valid(element: Element | None, fmt: str) -> bool:
    return (
        element is not None and element.get("encoding") == "base64" and element.get("format") == fmt
    )


def read_like_geteduroam(data: bytes) -> AppNetwork:
    """Mirrors linux-app internal/eap: the provider, the first usable SSID, the TLS method."""
    provider = fromstring(data).find("EAPIdentityProvider")
    assert provider is not None, "identity provider section couldn't be found"
    # The first IEEE80211 with an SSID and a MinRSNProto other than TKIP (SSIDSettings).
    candidates = [
        (n.findtext("SSID", ""), n.findtext("MinRSNProto", ""))
        for n in provider.iterfind("CredentialApplicability/IEEE80211")
    ]
    ssid, min_rsn = next((s, m) for s, m in candidates if s and m and m != "TKIP")
    methods = provider.findall("AuthenticationMethods/AuthenticationMethod")
    (tls,) = [m for m in methods if m.findtext("EAPMethod/Type") == "13"]
    server = tls.find("ServerSideCredential")
    assert server is not None, "no server side credentials"
    cas = [
        x509.load_der_x509_certificate(base64.b64decode(ca.text or ""))
        for ca in server.iterfind("CA")
        if _valid(ca, "X.509")
    ]
    assert cas, "no viable server side CA entry found"
    client = tls.find("ClientSideCredential")
    assert client is not None
    certificate = client.find("ClientCertificate")
    assert _valid(certificate, "PKCS12") and certificate is not None
    passphrase = client.findtext("Passphrase", "")
    assert passphrase, "the app would have to ask for the passphrase"
    info = provider.find("ProviderInfo")
    assert info is not None
    return AppNetwork(
        provider_id=provider.get("ID", ""),
        ssid=ssid,
        min_rsn=min_rsn,
        consortium_oids=[
            oid.text or "" for oid in provider.iterfind("CredentialApplicability/*/ConsortiumOID")
        ],
        cas=cas,
        server_ids=[s.text or "" for s in server.iterfind("ServerID")],
        anonymous_identity=client.findtext("OuterIdentity", ""),
        credential=load_pkcs12(base64.b64decode(certificate.text or ""), passphrase),
        name=info.findtext("DisplayName", ""),
        helpdesk={e.tag: e.text or "" for e in info.iterfind("Helpdesk/*")},
    )


@pytest.fixture(scope="module")
def data() -> bytes:
    built = eap_config.build(sample_inputs())
    assert built.filename.endswith(".eap-config")
    assert built.content_type == "application/x-eap-config"
    return built.data


def test_the_file_is_valid_against_the_format(data: bytes) -> None:
    SCHEMA.validate(data.decode())


def test_the_app_finds_the_network_the_servers_and_the_ca(data: bytes) -> None:
    network = read_like_geteduroam(data)
    assert network.provider_id == "example.ac.jp"
    assert (network.ssid, network.min_rsn) == ("campus-secure", "CCMP")
    assert network.cas == [radius_ca()]
    assert network.server_ids == list(SERVER_NAMES)
    assert network.anonymous_identity == "anonymous@example.ac.jp"


def test_the_app_opens_the_credential_with_the_passphrase_in_the_file(data: bytes) -> None:
    network = read_like_geteduroam(data)
    inputs = sample_inputs()
    assert network.credential.certificate == inputs.certificate
    assert network.credential.chain == list(inputs.chain)
    assert PIN.encode() in data


def test_eduroam_with_a_realm_adds_the_consortium_oi(data: bytes) -> None:
    assert read_like_geteduroam(data).consortium_oids == ["001bc50460"]
    root = fromstring(data)
    ssids = [s.text for s in root.iterfind(".//IEEE80211/SSID")]
    assert ssids == ["campus-secure", "eduroam"]


def test_without_a_realm_no_consortium_and_the_identity_is_the_uid() -> None:
    inputs = sample_inputs(realm="", identity="s2310042", anonymous_identity="")
    data = eap_config.build(inputs).data
    SCHEMA.validate(data.decode())
    network = read_like_geteduroam(data)
    assert network.consortium_oids == []
    assert network.anonymous_identity == "s2310042"
    assert network.provider_id == "jp.ac.example.wifi"


def test_provider_info_names_the_institution_and_helpdesk(data: bytes) -> None:
    network = read_like_geteduroam(data)
    assert network.name == "Example University"
    assert network.helpdesk == {
        "EmailAddress": "helpdesk@example.ac.jp",
        "WebAddress": "https://help.example.ac.jp/",
        "Phone": "+81-3-0000-0000",
    }


def test_a_partial_or_empty_helpdesk_stays_valid() -> None:
    for helpdesk in (Helpdesk(email="it@example.ac.jp"), Helpdesk()):
        data = eap_config.build(sample_inputs(helpdesk=helpdesk)).data
        SCHEMA.validate(data.decode())
        assert read_like_geteduroam(data).helpdesk == (
            {"EmailAddress": "it@example.ac.jp"} if helpdesk.email else {}
        )


def test_valid_until_is_the_certificates_not_after(data: bytes) -> None:
    text = fromstring(data).findtext("EAPIdentityProvider/ValidUntil", "")
    assert datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) == (
        sample_inputs().certificate.not_valid_after_utc
    )


def test_hostile_strings_are_escaped_and_come_back_unchanged() -> None:
    hostile = '</SSID><Passphrase>x</Passphrase> & "quotes" \'<!-- ]]>'
    inputs = sample_inputs(
        ssids=(hostile,),
        server_names=(hostile,),
        institution=hostile,
        helpdesk=Helpdesk(email=hostile, url=hostile, phone=hostile),
    )
    data = eap_config.build(inputs).data
    SCHEMA.validate(data.decode())
    network = read_like_geteduroam(data)
    assert network.ssid == hostile
    assert network.server_ids == [hostile]
    assert network.name == hostile
    assert set(network.helpdesk.values()) == {hostile}
    assert network.credential.certificate == inputs.certificate  # the real passphrase still


@pytest.mark.parametrize("bad", ["net\x00work", "esc\x1b[0m", "\ufffe"])
def test_a_string_xml_cannot_carry_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="XML cannot carry"):
        eap_config.build(sample_inputs(ssids=(bad,)))


def test_the_schema_rejects_what_the_apps_would_not_read(data: bytes) -> None:
    # The schema is a real check: a TKIP network or another EAP type fails it.
    for good, bad in ((b"<MinRSNProto>CCMP", b"<MinRSNProto>TKIP"), (b"<Type>13", b"<Type>25")):
        with pytest.raises(xmlschema.XMLSchemaValidationError):
            SCHEMA.validate(data.replace(good, bad, 1).decode())
