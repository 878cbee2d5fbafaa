"""SAML 2.0 (GakuNin / Shibboleth) through djangosaml2 and pysaml2."""
