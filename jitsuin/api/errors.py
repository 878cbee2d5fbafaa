"""Typed errors to HTTP answers: ``{"code": ..., "message": ...}`` with a translated message.

Codes are stable for scripts; messages follow the request's language (Accept-Language, or
the ``lang`` the caller asked for).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from jitsuin.api.auth import UNAUTHENTICATED_MESSAGE, ApiAccessError
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.pki.errors import (
    InvalidCsr,
    NotACertificate,
    Pkcs12Refused,
    Pkcs12TooCostly,
    Pkcs12UnsupportedScheme,
    PkiError,
    WeakKey,
    WrongPin,
)

# (HTTP status, code, message) per PKI error type; the first match wins.
PKI_ERRORS: list[tuple[type[PkiError], int, str, object]] = [
    (
        Pkcs12TooCostly,
        422,
        "pkcs12_too_costly",
        _(
            "This PKCS#12 file asks for more key-derivation iterations than jitsuin allows; "
            "it was not opened."
        ),
    ),
    (
        Pkcs12UnsupportedScheme,
        422,
        "pkcs12_unsupported",
        _("This PKCS#12 file uses a scheme jitsuin does not open; it was not opened."),
    ),
    (
        Pkcs12Refused,
        422,
        "pkcs12_refused",
        _("This PKCS#12 file took too long to open and was refused."),
    ),
    (
        WrongPin,
        422,
        "wrong_pin",
        _("This PKCS#12 file does not open with the PIN given (or needs one)."),
    ),
    (
        NotACertificate,
        422,
        "not_a_certificate",
        _("This is not a certificate in PEM, DER or PKCS#12."),
    ),
    (InvalidCsr, 422, "invalid_csr", _("This is not a valid certificate signing request.")),
    (WeakKey, 422, "weak_key", _("The key is too weak or of a type that is not accepted.")),
    (PkiError, 422, "pki_error", _("The certificate data could not be used.")),
]


NOT_JSON = _("Send the body as JSON, with Content-Type: application/json.")
# Lifecycle refusals whose HTTP status differs from their type's: an unusable CSR is input
# that cannot be processed (422, as the pki core's InvalidCsr), not a conflict.
STATUS_OF_CODE = {"invalid_csr": 422}
INVALID_REQUEST = _("A parameter or the body is not what this call takes (see detail).")


def error_body(code: str, message: object) -> dict[str, str]:
    return {"code": code, "message": str(message)}


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``."""

    def pki_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        for kind, status, code, message in PKI_ERRORS:
            if isinstance(exc, kind):
                return api.create_response(request, error_body(code, message), status=status)
        raise exc

    def lifecycle_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, LifecycleError)
        status = STATUS_OF_CODE.get(exc.code, exc.http_status)
        return api.create_response(request, error_body(exc.code, exc.message), status=status)

    def access_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if not isinstance(exc, ApiAccessError):  # ninja's own: no Authorization header at all
            exc = ApiAccessError(401, "unauthenticated", UNAUTHENTICATED_MESSAGE)
        answer = api.create_response(request, error_body(exc.code, exc.message), status=exc.status)
        if exc.status == 401:
            answer["WWW-Authenticate"] = 'Bearer realm="jitsuin"'
        if exc.retry_after is not None:
            answer["Retry-After"] = str(exc.retry_after)
        return answer

    def invalid_request(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, ValidationError)
        body: dict[str, object] = dict(error_body("invalid_request", INVALID_REQUEST))
        body["detail"] = [
            {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", ""))}
            for error in exc.errors
        ]
        return api.create_response(request, body, status=422)

    def form_body(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A multipart body was parsed as a form (the NUL check reads forms): never JSON.
        return api.create_response(
            request, error_body("unsupported_media_type", NOT_JSON), status=415
        )

    handlers: dict[type[Exception], Callable[[HttpRequest, Exception], HttpResponse]] = {
        RawPostDataException: form_body,
        PkiError: pki_error,
        LifecycleError: lifecycle_error,
        ApiAccessError: access_error,
        AuthenticationError: access_error,
        ValidationError: invalid_request,
    }
    for kind, handler in handlers.items():
        api.add_exception_handler(kind, handler)
