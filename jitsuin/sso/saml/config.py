"""The SAML SP's settings, and the pysaml2 configuration djangosaml2 loads on each request.

``saml_settings(config)`` turns the ``JITSUIN_SAML_*`` variables (parsed by ``jitsuin.config``:
``config.sso.saml``) into Django settings, checking the metadata file against them (at start-up:
a bad value raises ``ConfigError`` naming the variable). ``sp_config`` is djangosaml2's
``SAML_CONFIG_LOADER``: it returns one cached pysaml2 ``SPConfig`` and rebuilds it only when the
metadata file changed, where djangosaml2's default loader re-parses the metadata on every request.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import SPConfig
from saml2.saml import NAME_FORMAT_URI
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from jitsuin.config import ConfigError, JitsuinConfig
from jitsuin.sso.saml.metadata import (
    MetadataSource,
    MetadataUnavailable,
    current_metadata_path,
)
from jitsuin.sso.saml.metadata_document import MetadataRefused, check_metadata

logger = logging.getLogger(__name__)

ATTRIBUTE_MAPS = Path(__file__).parent / "attributemaps"
LOADER = "jitsuin.sso.saml.config.sp_config"
# Attributes whose values carry "@scope", so the scope check can bind them to the asserting IdP.
SCOPED_ATTRIBUTES = {"eduPersonPrincipalName", "eduPersonUniqueId", "subject-id"}
OPTIONAL_ATTRIBUTES = (
    "mail",
    "displayName",
    "jaDisplayName",
    "givenName",
    "sn",
    "jasn",
    "jaGivenName",
    "eduPersonAffiliation",
    "ou",
)
SIGNED_OUT_URL = "/account/signed-out/"


def _metadata_source(config: JitsuinConfig, xmlsec1: str) -> MetadataSource:
    saml = config.sso.saml
    return MetadataSource(
        store=config.data_dir / "saml",
        url=saml.metadata_url,
        file=saml.metadata_file,
        cert=saml.metadata_cert,
        max_bytes=saml.metadata_max_bytes,
        xmlsec1=xmlsec1,
    )


def _idps_in_file(source: MetadataSource) -> tuple[str, ...] | None:
    """The IdPs of a local metadata file (None for a remote source: unknown until fetched)."""
    if source.file is None:
        return None
    try:
        return check_metadata(source.file.read_bytes(), cert=None, xmlsec1=source.xmlsec1).idps
    except MetadataRefused as exc:
        raise ConfigError(f"JITSUIN_SAML_METADATA_FILE: {exc}") from exc


def _sp_config(
    config: JitsuinConfig, *, uid: str, idp: str, skew: int, xmlsec1: str
) -> dict[str, Any]:
    base = config.public_url
    key, cert = config.sso.saml.key_file, config.sso.saml.cert_file
    sp: dict[str, Any] = {
        "name": "jitsuin",
        "endpoints": {
            "assertion_consumer_service": [(f"{base}/account/saml2/acs/", BINDING_HTTP_POST)],
            "single_logout_service": [
                (f"{base}/account/saml2/ls/", BINDING_HTTP_REDIRECT),
                (f"{base}/account/saml2/ls/post/", BINDING_HTTP_POST),
            ],
        },
        "allow_unsolicited": False,
        # Shibboleth IdPs sign the Response by default, SimpleSAMLphp the assertion: take either,
        # never neither.
        "want_response_signed": False,
        "want_assertions_signed": False,
        "want_assertions_or_response_signed": True,
        "authn_requests_signed": key is not None,
        "logout_requests_signed": key is not None,
        "logout_responses_signed": key is not None,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "required_attributes": [uid],
        "optional_attributes": [name for name in OPTIONAL_ATTRIBUTES if name != uid],
        "requested_attribute_name_format": NAME_FORMAT_URI,
    }
    if idp:
        sp["idp"] = [idp]
    saml_config: dict[str, Any] = {
        "xmlsec_binary": xmlsec1,
        "entityid": f"{base}/account/saml2/metadata/",
        "attribute_map_dir": str(ATTRIBUTE_MAPS),
        "accepted_time_diff": skew,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "service": {"sp": sp},
        "debug": 0,
    }
    if key is not None and cert is not None:
        saml_config["key_file"] = str(key)
        saml_config["cert_file"] = str(cert)
        # The same pair decrypts encrypted assertions (Shibboleth's default) and is published in
        # the SP metadata both for signing and for encryption.
        saml_config["encryption_keypairs"] = [{"key_file": str(key), "cert_file": str(cert)}]
    return saml_config


def saml_settings(config: JitsuinConfig) -> dict[str, Any]:
    """The Django settings for SAML sign-in from the ``JITSUIN_SAML_*`` variables.

    Raises ``ConfigError`` naming the variable when a value cannot be used. ``SAML_CONFIG`` has no
    ``metadata``: ``sp_config`` adds the checked, cached copy when it builds the pysaml2 config."""
    xmlsec1 = config.sso.xmlsec1
    uid, idp, scopes = config.sso.saml.uid_attribute, config.sso.saml.idp, config.sso.saml.scopes
    source = _metadata_source(config, xmlsec1)
    idps_in_file = _idps_in_file(source)
    if idp and idps_in_file is not None and idp not in idps_in_file:
        raise ConfigError(f"JITSUIN_SAML_IDP: {idp} is not an IdP in JITSUIN_SAML_METADATA_FILE")
    several_idps = idps_in_file is None or len(idps_in_file) > 1
    if uid not in SCOPED_ATTRIBUTES and several_idps and not idp:
        raise ConfigError(
            f"JITSUIN_SAML_UID_ATTRIBUTE: {uid} carries no scope, so with metadata of several "
            "IdPs any of them could assert any uid; set JITSUIN_SAML_IDP or use "
            "eduPersonPrincipalName"
        )
    return {
        "SAML_CONFIG": _sp_config(
            config, uid=uid, idp=idp, skew=config.sso.clock_skew, xmlsec1=xmlsec1
        ),
        "SAML_CONFIG_LOADER": LOADER,
        "JITSUIN_SAML_METADATA_SOURCE": source,
        "JITSUIN_SAML_IDP": idp,
        "JITSUIN_SAML_SCOPES": scopes,
        "JITSUIN_SAML_UID_ATTRIBUTE": uid,
        "JITSUIN_SAML_UID_SCOPED": uid in SCOPED_ATTRIBUTES,
        "SAML_DJANGO_USER_MAIN_ATTRIBUTE": "username",
        "SAML_USE_NAME_ID_AS_USERNAME": False,
        # jitsuin.sso.identities.sign_in finds or creates users, never djangosaml2.
        "SAML_CREATE_UNKNOWN_USER": False,
        "SAML_ATTRIBUTE_MAPPING": {uid: ("username",)},
        "SAML_ACS_FAILURE_RESPONSE_FUNCTION": "jitsuin.sso.saml.backend.acs_failure",
        "SAML_DEFAULT_BINDING": BINDING_HTTP_REDIRECT,
        "SAML_SESSION_COOKIE_NAME": "jitsuin_saml",
        "ACS_DEFAULT_REDIRECT_URL": "/",
        "LOGOUT_REDIRECT_URL": SIGNED_OUT_URL,
        # jitsuin's own middleware sets the Content-Security-Policy on every response.
        "SAML_CSP_HANDLER": "",
    }


_built: dict[str, tuple[tuple[Any, ...], SPConfig | MetadataUnavailable]] = {}
_built_lock = threading.Lock()


def _only_the_institution(conf: SPConfig, idp: str) -> None:
    """Drop every other IdP of a federation aggregate: no choice page, and a Response from any
    other IdP finds no key to verify it with."""
    for store in conf.metadata.metadata.values():
        store.entity = {entity: data for entity, data in store.entity.items() if entity == idp}
    if not any(idp in store.entity for store in conf.metadata.metadata.values()):
        raise MetadataUnavailable(f"JITSUIN_SAML_IDP {idp} is not in the SAML metadata")


def sp_config(request: HttpRequest | None = None) -> SPConfig:
    """djangosaml2's ``SAML_CONFIG_LOADER``: the pysaml2 SP configuration with the current IdP
    metadata, built once per metadata file version and settings. Raises ``MetadataUnavailable``
    when no usable metadata exists."""
    path = current_metadata_path()
    stamp = path.stat()
    key = (
        str(path),
        stamp.st_mtime_ns,
        stamp.st_size,
        json.dumps(settings.SAML_CONFIG, sort_keys=True, default=str),
        getattr(settings, "JITSUIN_SAML_IDP", ""),
    )
    with _built_lock:
        cached = _built.get("sp")
        if cached is None or cached[0] != key:
            conf = SPConfig()
            conf.load({**copy.deepcopy(settings.SAML_CONFIG), "metadata": {"local": [str(path)]}})
            try:
                if key[-1]:
                    _only_the_institution(conf, key[-1])
            except MetadataUnavailable as exc:
                # Remembered too: a metadata file without our IdP is not parsed again per request.
                cached = _built["sp"] = (key, exc)
            else:
                cached = _built["sp"] = (key, conf)
                logger.info("SAML configuration loaded from %s", path)
        if isinstance(cached[1], MetadataUnavailable):
            raise cached[1]
        return cached[1]
