"""CA keys in a PKCS#11 token (an HSM, or SoftHSM2 in tests), through python-pkcs11.

Keys are generated in the token, sensitive and not extractable; nothing here ever holds a
private key's value. ``get`` answers an object that cryptography's builders accept as a
private key (a subclass of its key interfaces, as its own documentation allows for external
keys): every certificate, CRL and OCSP signature is made by the token. A reference is
``pkcs11:object=LABEL;id=HEX`` (RFC 7512's attributes), the label for people, the id unique.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any, NoReturn

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from jitsuin.pki.keys import KeySpec, PrivateKey
from jitsuin.pki.keystore import KeyStoreError

_REF = re.compile(r"^pkcs11:object=(?P<label>[A-Za-z0-9_.-]{1,64});id=(?P<id>[0-9a-f]{16})$")
_SAFE_LABEL = re.compile(r"[^A-Za-z0-9_.-]+")
_CURVE_NAMES = {"p256": "secp256r1", "p384": "secp384r1"}
_RSA_MECHANISMS = {"sha256": "SHA256_RSA_PKCS", "sha384": "SHA384_RSA_PKCS"}


class TokenError(KeyStoreError):
    """The token cannot be used as configured (library, label, PIN): the message names the
    ``JITSUIN_PKCS11_*`` setting."""


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError as exc:  # pragma: no cover - the hsm extra is not installed
        raise TokenError(
            "a PKCS#11 key store needs python-pkcs11: pip install 'jitsuin[hsm]'"
        ) from exc
    return pkcs11


# PKCS#11 logs a token in per process, not per session: every store of this process shares
# one session per (library, token), guarded by one lock (python-pkcs11 sessions are not
# thread-safe), and a child process opens its own after a fork.
_LOCK = threading.RLock()
_SESSIONS: dict[tuple[str, str], tuple[int, Any]] = {}


def _open_session(module: str, token_label: str, pin: str) -> Any:
    pkcs11 = _pkcs11()
    errors = pkcs11.exceptions
    try:
        lib = pkcs11.lib(module)
        if any(pid != os.getpid() for pid, _ in _SESSIONS.values()):
            lib.reinitialize()  # PKCS#11 forbids using a parent's sessions after fork
            _SESSIONS.clear()
        token = lib.get_token(token_label=token_label)
        try:
            return token.open(user_pin=pin, rw=True)
        except errors.UserAlreadyLoggedIn:
            return token.open(rw=True)  # logged in by this process already: the session is too
    except errors.NoSuchToken as exc:
        raise TokenError(
            f"JITSUIN_PKCS11_TOKEN: no token labelled {token_label!r} in {module}"
        ) from exc
    except (errors.PinIncorrect, errors.PinInvalid, errors.PinLenRange) as exc:
        raise TokenError(
            "JITSUIN_PKCS11_PIN_FILE: the token refused the PIN (a wrong PIN; repeated "
            "attempts may lock the token)"
        ) from exc
    except errors.PinLocked as exc:
        raise TokenError("the token's user PIN is locked: unlock it first") from exc
    except (RuntimeError, OSError, errors.PKCS11Error) as exc:
        raise TokenError(f"JITSUIN_PKCS11_MODULE: {module} cannot be used: {exc!r}") from exc


class Pkcs11KeyStore:
    """Keys in the token labelled ``token_label`` of the PKCS#11 library ``module``."""

    scheme = "pkcs11"

    def __init__(self, module: Path, token_label: str, pin: str) -> None:
        self._module, self._token_label, self._pin = str(module), token_label, pin

    def session(self) -> Any:
        """This process's session with the token, opened (and logged in) on first use."""
        with _LOCK:
            key = (self._module, self._token_label)
            found = _SESSIONS.get(key)
            if found is not None and found[0] == os.getpid():
                return found[1]
            session = _open_session(self._module, self._token_label, self._pin)
            _SESSIONS[key] = (os.getpid(), session)
            return session

    # --- KeyStore --------------------------------------------------------------------------

    def generate(self, spec: KeySpec, label: str) -> str:
        """Make a key pair of ``spec`` in the token; return its reference."""
        pkcs11 = _pkcs11()
        attribute, key_type = pkcs11.Attribute, pkcs11.KeyType
        name = (_SAFE_LABEL.sub("-", label).strip("-") or "ca-key")[:64]
        key_id = secrets.token_bytes(8)
        private = {
            attribute.SENSITIVE: True,
            attribute.EXTRACTABLE: False,
            attribute.SIGN: True,
            attribute.PRIVATE: True,
        }
        with _LOCK:
            session = self.session()
            if spec.algorithm == "ec":
                from pkcs11.util.ec import encode_named_curve_parameters

                parameters = session.create_domain_parameters(
                    key_type.EC,
                    {attribute.EC_PARAMS: encode_named_curve_parameters(_CURVE_NAMES[spec.curve])},
                    local=True,
                )
                parameters.generate_keypair(
                    store=True, label=name, id=key_id, private_template=private
                )
            else:
                session.generate_keypair(
                    key_type.RSA,
                    spec.size,
                    store=True,
                    label=name,
                    id=key_id,
                    private_template=private,
                )
        return f"{self.scheme}:object={name};id={key_id.hex()}"

    def put(self, key: PrivateKey, label: str) -> NoReturn:
        raise KeyStoreError(
            "a PKCS#11 key store makes its keys in the token; it never imports a key"
        )

    def get(self, ref: str) -> PrivateKey:
        label, key_id = self._parse(ref)
        pkcs11 = _pkcs11()
        with _LOCK:
            session = self.session()
            try:
                private = session.get_key(
                    object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=label, id=key_id
                )
                public = session.get_key(
                    object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=label, id=key_id
                )
            except pkcs11.exceptions.NoSuchKey as exc:
                raise TokenError(f"key {ref} is not in token {self._token_label!r}") from exc
            if private.key_type == pkcs11.KeyType.EC:
                from pkcs11.util.ec import encode_ec_public_key

                loaded = serialization.load_der_public_key(encode_ec_public_key(public))
                assert isinstance(loaded, ec.EllipticCurvePublicKey)
                return TokenEcKey(self, private, loaded)
            numbers = rsa.RSAPublicNumbers(
                int.from_bytes(public[pkcs11.Attribute.PUBLIC_EXPONENT], "big"),
                int.from_bytes(public[pkcs11.Attribute.MODULUS], "big"),
            )
            return TokenRsaKey(self, private, numbers.public_key())

    def destroy(self, ref: str) -> None:
        label, key_id = self._parse(ref)
        pkcs11 = _pkcs11()
        with _LOCK:
            session = self.session()
            for object_class in (pkcs11.ObjectClass.PRIVATE_KEY, pkcs11.ObjectClass.PUBLIC_KEY):
                for found in session.get_objects(
                    {
                        pkcs11.Attribute.CLASS: object_class,
                        pkcs11.Attribute.LABEL: label,
                        pkcs11.Attribute.ID: key_id,
                    }
                ):
                    found.destroy()

    def exists(self, ref: str) -> bool:
        """Whether the token holds the private key of ``ref`` (a token that cannot be opened
        raises, as ``get`` does: a wrong PIN is not a missing key)."""
        label, key_id = self._parse(ref)
        attribute = _pkcs11().Attribute
        wanted = {
            attribute.CLASS: _pkcs11().ObjectClass.PRIVATE_KEY,
            attribute.LABEL: label,
            attribute.ID: key_id,
        }
        with _LOCK:
            return any(True for _ in self.session().get_objects(wanted))

    def sign(self, key: Any, data: bytes, mechanism_name: str) -> bytes:
        pkcs11 = _pkcs11()
        with _LOCK:
            return bytes(key.sign(data, mechanism=getattr(pkcs11.Mechanism, mechanism_name)))

    def _parse(self, ref: str) -> tuple[str, bytes]:
        found = _REF.match(ref)
        if found is None:
            raise KeyStoreError(f"not a key reference of this store: {ref!r}")
        return found["label"], bytes.fromhex(found["id"])


def _not_exportable() -> NoReturn:
    raise KeyStoreError("a key in a PKCS#11 token cannot be exported")


def _digest(data: bytes, algorithm: hashes.HashAlgorithm | Prehashed) -> bytes:
    if isinstance(algorithm, Prehashed):
        return data
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


class TokenEcKey(ec.EllipticCurvePrivateKey):
    """An ECDSA key in the token: the hash is computed here, the signature by the token."""

    def __init__(self, store: Pkcs11KeyStore, handle: Any, public: ec.EllipticCurvePublicKey):
        self._store, self._handle, self._public = store, handle, public

    def sign(
        self,
        data: bytes | bytearray | memoryview,
        signature_algorithm: ec.EllipticCurveSignatureAlgorithm,
    ) -> bytes:
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise KeyStoreError("a token key signs ECDSA only")
        from pkcs11.util.ec import encode_ecdsa_signature

        digest = _digest(bytes(data), signature_algorithm.algorithm)
        raw = self._store.sign(self._handle, digest, "ECDSA")
        return bytes(encode_ecdsa_signature(raw))

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public.curve

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        raise KeyStoreError("a CA key in a token signs; it does not agree keys")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        _not_exportable()

    def private_bytes(self, *args: Any, **kwargs: Any) -> bytes:
        _not_exportable()

    def __copy__(self) -> TokenEcKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> TokenEcKey:
        return self


class TokenRsaKey(rsa.RSAPrivateKey):
    """An RSA key in the token: PKCS#1 v1.5 signatures with SHA-256 or SHA-384."""

    def __init__(self, store: Pkcs11KeyStore, handle: Any, public: rsa.RSAPublicKey):
        self._store, self._handle, self._public = store, handle, public

    def sign(
        self,
        data: bytes | bytearray | memoryview,
        padding_: padding.AsymmetricPadding,
        algorithm: Any,
    ) -> bytes:
        if not isinstance(padding_, padding.PKCS1v15) or not isinstance(
            algorithm, hashes.HashAlgorithm
        ):
            raise KeyStoreError("a token RSA key signs PKCS#1 v1.5 over the whole data only")
        mechanism = _RSA_MECHANISMS.get(algorithm.name)
        if mechanism is None:
            raise KeyStoreError(f"a token RSA key does not sign with {algorithm.name}")
        return self._store.sign(self._handle, bytes(data), mechanism)

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def decrypt(self, ciphertext: bytes, padding: padding.AsymmetricPadding) -> bytes:
        raise KeyStoreError("a CA key in a token signs; it does not decrypt")

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        _not_exportable()

    def private_bytes(self, *args: Any, **kwargs: Any) -> bytes:
        _not_exportable()

    def __copy__(self) -> TokenRsaKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> TokenRsaKey:
        return self
