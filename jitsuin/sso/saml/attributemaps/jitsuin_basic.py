"""pysaml2's "basic" attribute names plus GakuNin's jaPerson attributes by name."""

from saml2.attributemaps import basic as _pysaml2

_NAMES = ("jasn", "jaGivenName", "jaDisplayName", "jao", "jaou")
_PREFIX = "urn:mace:dir:attribute-def:"

MAP = {
    "identifier": _pysaml2.MAP["identifier"],
    "fro": {**_pysaml2.MAP["fro"], **{f"{_PREFIX}{name}": name for name in _NAMES}},
    "to": {**_pysaml2.MAP["to"], **{name: f"{_PREFIX}{name}" for name in _NAMES}},
}
