"""A real SAML IdP in the test process: pysaml2's own IdP side (saml2.server.Server), signing
and encrypting with real keys through xmlsec1, reading the SP's real metadata."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from saml2 import BINDING_HTTP_REDIRECT, saml
from saml2.config import IdPConfig
from saml2.s_utils import decode_base64_and_inflate
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NameID
from saml2.samlp import authn_request_from_string
from saml2.server import Server

from jitsuin.sso.saml.config import ATTRIBUTE_MAPS
from tests.sso.saml.federation import Idp

AUTHN = {"class_ref": saml.AUTHN_PASSWORD_PROTECTED, "authn_auth": "https://idp.example.ac.jp"}


def query(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class CampusIdp:
    idp: Idp
    server: Server

    def answer(
        self,
        authn_request_location: str,
        attributes: dict[str, list[str]],
        *,
        sign_response: bool = False,
        sign_assertion: bool = True,
        encrypt_assertion: bool = False,
    ) -> dict[str, str]:
        """The POST form fields for the ACS, answering the AuthnRequest in ``location``."""
        fields = query(authn_request_location)
        # Read, not validated: an IdP of another university may answer a request meant for ours.
        message = authn_request_from_string(decode_base64_and_inflate(fields["SAMLRequest"]))
        response = self.server.create_authn_response(
            attributes,
            in_response_to=message.id,
            destination=message.assertion_consumer_service_url,
            sp_entity_id=message.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text="_transient-" + message.id),
            authn=AUTHN,
            sign_response=sign_response,
            sign_assertion=sign_assertion,
            encrypt_assertion=encrypt_assertion,
            encrypt_assertion_self_contained=True,
        )
        return {
            "SAMLResponse": base64.b64encode(str(response).encode()).decode(),
            "RelayState": fields.get("RelayState", "/"),
        }

    def answer_logout(self, logout_request_location: str) -> str:
        """The URL that returns the browser to the SP after the IdP ended its session."""
        fields = query(logout_request_location)
        request = self.server.parse_logout_request(fields["SAMLRequest"], BINDING_HTTP_REDIRECT)
        response = self.server.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
        destination = self.server.metadata.single_logout_service(
            request.message.issuer.text, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            destination,
            fields.get("RelayState", ""),
            response=True,
        )
        return dict(info["headers"])["Location"]


def make_idp(idp: Idp, sp_metadata: Path, xmlsec1: str) -> CampusIdp:
    base = idp.entity_id.replace("/idp/shibboleth", "")
    config = {
        "entityid": idp.entity_id,
        "xmlsec_binary": xmlsec1,
        "key_file": str(idp.signing.key),
        "cert_file": str(idp.signing.cert),
        "attribute_map_dir": str(ATTRIBUTE_MAPS),
        "metadata": {"local": [str(sp_metadata)]},
        "service": {
            "idp": {
                "endpoints": {
                    "single_sign_on_service": [(f"{base}/idp/sso", BINDING_HTTP_REDIRECT)],
                    "single_logout_service": [(f"{base}/idp/slo", BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                "policy": {
                    "default": {"name_form": saml.NAME_FORMAT_URI, "lifetime": {"minutes": 5}}
                },
            }
        },
    }
    conf = IdPConfig()
    conf.load(config)
    return CampusIdp(idp, Server(config=conf))
