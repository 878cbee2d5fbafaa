"""The SAML SP's settings: checked at start-up, SHA-256 only, encrypted assertions, one load."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from saml2 import saml
from saml2.attribute_converter import list_to_local

from jitsuin.config import ConfigError, SsoConfig, current
from jitsuin.sso.saml.config import saml_settings, sp_config
from jitsuin.sso.saml.views import sp_metadata_xml, sp_only_config
from tests.peers import require_tool
from tests.sso.saml.federation import EVIL, UNI, Idp, federation, key_pair, metadata_server

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
ALG = "{urn:oasis:names:tc:SAML:metadata:algsupport}"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def configured(tmp_path: Path, **extra: str):  # type: ignore[no-untyped-def]
    return dataclasses.replace(current(), sso=SsoConfig.from_env(extra), data_dir=tmp_path)


@pytest.fixture
def files(tmp_path: Path):  # type: ignore[no-untyped-def]
    xmlsec1 = require_tool("xmlsec1")
    keys = tmp_path / "keys"

    class Files:
        sp = key_pair(keys, "sp")
        fed = key_pair(keys, "federation")
        uni = key_pair(keys, "uni")
        two_idps = tmp_path / "two.xml"
        one_idp = tmp_path / "one.xml"

    Files.two_idps.write_bytes(
        federation([Idp(UNI, Files.uni, (("example.ac.jp", False),)), Idp(EVIL, Files.uni)])
    )
    Files.one_idp.write_bytes(federation([Idp(UNI, Files.uni)]))
    Files.xmlsec1 = xmlsec1  # type: ignore[attr-defined]
    return Files


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"JITSUIN_SAML_METADATA_URL": "https://fed.example/md.xml"}, "JITSUIN_SAML_METADATA_CERT"),
        ({"JITSUIN_SAML_METADATA_FILE": "/nonexistent/md.xml"}, "JITSUIN_SAML_METADATA_FILE"),
        ({"JITSUIN_SAML_SCOPES": "example.ac.jp"}, "JITSUIN_SAML_SCOPES"),
        ({"JITSUIN_SAML_KEY_FILE": "/nonexistent/sp.key"}, "JITSUIN_SAML_KEY_FILE"),
        ({"JITSUIN_SAML_METADATA_MAX_BYTES": "lots"}, "JITSUIN_SAML_METADATA_MAX_BYTES"),
        ({"JITSUIN_SSO_CLOCK_SKEW": "-5"}, "JITSUIN_SSO_CLOCK_SKEW"),
    ],
)
def test_unusable_settings_name_the_variable(tmp_path, files, extra, variable):
    if "JITSUIN_SAML_METADATA_URL" not in extra:
        extra = {"JITSUIN_SAML_METADATA_FILE": str(files.one_idp), **extra}
    with pytest.raises(ConfigError, match=variable):
        saml_settings(configured(tmp_path, **extra))


def test_an_sp_key_without_its_certificate_is_refused(tmp_path, files):
    with pytest.raises(ConfigError, match="JITSUIN_SAML_CERT_FILE"):
        saml_settings(
            configured(
                tmp_path,
                JITSUIN_SAML_METADATA_FILE=str(files.one_idp),
                JITSUIN_SAML_KEY_FILE=str(files.sp.key),
            )
        )


def test_an_unscoped_uid_with_several_idps_needs_the_institutions_idp(tmp_path, files):
    env = {
        "JITSUIN_SAML_METADATA_FILE": str(files.two_idps),
        "JITSUIN_SAML_UID_ATTRIBUTE": "uid",
    }
    with pytest.raises(ConfigError, match="JITSUIN_SAML_UID_ATTRIBUTE"):
        saml_settings(configured(tmp_path, **env))
    with pytest.raises(ConfigError, match="JITSUIN_SAML_UID_ATTRIBUTE"):
        saml_settings(
            configured(
                tmp_path,
                JITSUIN_SAML_METADATA_URL="https://fed.example/md.xml",
                JITSUIN_SAML_METADATA_CERT=str(files.fed.cert),
                JITSUIN_SAML_UID_ATTRIBUTE="uid",
            )
        )
    assert saml_settings(configured(tmp_path, **env, JITSUIN_SAML_IDP=UNI))["JITSUIN_SAML_IDP"]
    single = saml_settings(
        configured(
            tmp_path,
            JITSUIN_SAML_METADATA_FILE=str(files.one_idp),
            **{"JITSUIN_SAML_UID_ATTRIBUTE": "uid"},
        )
    )
    assert single["JITSUIN_SAML_UID_SCOPED"] is False


def test_the_institutions_idp_must_be_in_a_local_metadata_file(tmp_path, files):
    with pytest.raises(ConfigError, match="JITSUIN_SAML_IDP"):
        saml_settings(
            configured(
                tmp_path,
                JITSUIN_SAML_METADATA_FILE=str(files.one_idp),
                JITSUIN_SAML_IDP="https://idp.elsewhere.example/idp",
            )
        )


def test_the_saml_configuration_takes_a_signed_response_or_assertion_and_the_clock_skew(
    tmp_path, files
):
    result = saml_settings(
        configured(
            tmp_path,
            JITSUIN_SAML_METADATA_FILE=str(files.one_idp),
            JITSUIN_SSO_CLOCK_SKEW="5",
        )
    )
    sp = result["SAML_CONFIG"]["service"]["sp"]
    assert sp["want_assertions_or_response_signed"] is True
    assert result["SAML_CONFIG"]["accepted_time_diff"] == 5
    assert result["LOGOUT_REDIRECT_URL"] == "/account/signed-out/"
    assert result["SAML_CONFIG_LOADER"] == "jitsuin.sso.saml.config.sp_config"
    assert "metadata" not in result["SAML_CONFIG"]


@pytest.fixture
def sp_settings(tmp_path, files, settings):  # type: ignore[no-untyped-def]
    def apply(**extra: str):  # type: ignore[no-untyped-def]
        env = {
            "JITSUIN_SAML_KEY_FILE": str(files.sp.key),
            "JITSUIN_SAML_CERT_FILE": str(files.sp.cert),
            "JITSUIN_XMLSEC1": files.xmlsec1,
            **extra,
        }
        if "JITSUIN_SAML_METADATA_URL" not in env:
            env.setdefault("JITSUIN_SAML_METADATA_FILE", str(files.two_idps))
        for name, value in saml_settings(configured(tmp_path, **env)).items():
            setattr(settings, name, value)
        return settings

    return apply


def test_the_sp_metadata_offers_sha256_only_and_the_key_for_signing_and_encryption(
    sp_settings, files
):
    sp_settings()
    root = fromstring(sp_metadata_xml(sp_only_config()))
    algorithms = {(e.tag, e.get("Algorithm")) for e in root.iter() if e.tag.startswith(ALG)}
    assert algorithms == {(f"{ALG}DigestMethod", SHA256), (f"{ALG}SigningMethod", RSA_SHA256)}
    uses = sorted(kd.get("use") for kd in root.iter(f"{MD}KeyDescriptor"))
    assert uses == ["encryption", "signing"]
    assert files.sp.cert_base64 in sp_metadata_xml(sp_only_config())


def test_the_sp_metadata_requests_the_attributes_it_uses(sp_settings):
    sp_settings()
    root = fromstring(sp_metadata_xml(sp_only_config()))
    requested = {
        (a.get("FriendlyName"), a.get("Name"), a.get("isRequired"))
        for a in root.iter(f"{MD}RequestedAttribute")
    }
    assert ("eduPersonPrincipalName", "urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "true") in requested
    optional = {name for name, _oid, required in requested if required == "false"}
    assert optional == {
        "mail",
        "displayName",
        "jaDisplayName",
        "givenName",
        "sn",
        "jasn",
        "jaGivenName",
        "eduPersonAffiliation",
        "ou",
    }
    assert ("jaDisplayName", "urn:oid:1.3.6.1.4.1.32264.1.1.3", "false") in requested


def test_gakunin_attributes_keep_their_names(sp_settings):
    sp_settings()
    conf = sp_only_config()
    released = [
        saml.Attribute(
            name=f"urn:oid:1.3.6.1.4.1.32264.1.1.{n}",
            name_format=saml.NAME_FORMAT_URI,
            attribute_value=[saml.AttributeValue(text=value)],
        )
        for n, value in ((1, "山田"), (2, "花子"), (3, "山田 花子"))
    ] + [
        saml.Attribute(
            name="urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
            name_format=saml.NAME_FORMAT_URI,
            attribute_value=[saml.AttributeValue(text="s2310002@example.ac.jp")],
        )
    ]
    local = list_to_local(conf.attribute_converters, released)
    assert local == {
        "jasn": ["山田"],
        "jaGivenName": ["花子"],
        "jaDisplayName": ["山田 花子"],
        "eduPersonPrincipalName": ["s2310002@example.ac.jp"],
    }


def test_many_sign_ins_load_the_remote_metadata_once(sp_settings, files):
    body = federation([Idp(UNI, files.uni)], signer=files.fed)
    with metadata_server(body) as served:
        sp_settings(
            JITSUIN_SAML_METADATA_URL=served.url,
            JITSUIN_SAML_METADATA_CERT=str(files.fed.cert),
        )
        configs = {id(sp_config()) for _ in range(20)}
    assert served.gets == 1
    assert len(configs) == 1


def test_the_configuration_is_rebuilt_when_the_metadata_file_changes(sp_settings, files):
    sp_settings(JITSUIN_SAML_METADATA_FILE=str(files.one_idp))
    first = sp_config()
    assert sp_config() is first
    files.one_idp.write_bytes(federation([Idp(EVIL, files.uni)]) + b"\n")
    second = sp_config()
    assert second is not first
    assert second.metadata.identity_providers() == [EVIL]


def test_with_the_institutions_idp_set_no_other_idp_is_loaded(sp_settings, files):
    sp_settings(JITSUIN_SAML_IDP=UNI)
    assert sp_config().metadata.identity_providers() == [UNI]
