"""pysaml2's urn:oid attribute names plus GakuNin's jaPerson attributes (loaded by pysaml2's
``attribute_map_dir``; the module name is unique because pysaml2 imports it by file name)."""

from saml2.attributemaps import saml_uri as _pysaml2

JAPERSON_OID = "urn:oid:1.3.6.1.4.1.32264.1.1."
JAPERSON = {
    f"{JAPERSON_OID}1": "jasn",
    f"{JAPERSON_OID}2": "jaGivenName",
    f"{JAPERSON_OID}3": "jaDisplayName",
    f"{JAPERSON_OID}4": "jao",
    f"{JAPERSON_OID}5": "jaou",
}

MAP = {
    "identifier": _pysaml2.MAP["identifier"],
    "fro": {**_pysaml2.MAP["fro"], **JAPERSON},
    "to": {**_pysaml2.MAP["to"], **{name: oid for oid, name in JAPERSON.items()}},
}
