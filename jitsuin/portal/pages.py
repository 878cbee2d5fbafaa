"""Notices (お知らせ), help pages with import guides and the FAQ, and the certificate check."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jitsuin.config import current
from jitsuin.lifecycle.verdict import check_certificate
from jitsuin.notify.models import Notice
from jitsuin.onboarding.server import WifiServer, wifi_identities, wifi_server
from jitsuin.pki.errors import (
    Pkcs12Refused,
    Pkcs12TooCostly,
    Pkcs12UnsupportedScheme,
    PkiError,
    WrongPin,
)
from jitsuin.portal.identity import person_for

MAX_UPLOAD = 64 * 1024

# Import guides, one template each under portal/help/.
PLATFORMS = {
    "windows": "Windows",
    "macos": "macOS",
    "ios": "iPhone / iPad (iOS)",
    "android": "Android",
    "linux": "Linux",
}


def _language() -> str:
    return "ja" if (translation.get_language() or "ja").startswith("ja") else "en"


def notices(request: HttpRequest) -> HttpResponse:
    items = Notice.objects.published(timezone.now())
    return render(request, "portal/notices.html", {"notices": items, "lang": _language()})


def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.published(timezone.now()), pk=pk)
    return render(request, "portal/notice.html", {"notice": notice, "lang": _language()})


def help_index(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/help/index.html", {"platforms": PLATFORMS})


def faq(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/help/faq.html")


def _server_cas_pem() -> bytes:
    server = wifi_server()
    if server is not None:
        return server.cas_pem()
    return WifiServer(names=(), cas=current().wifi.server_cas, realm="").cas_pem()


def wifi_settings(uid: str | None = None) -> dict[str, object]:
    """What a device needs for the Wi-Fi, as the institution set it (or the demo's stand-ins):
    the server's CA and names, the identities (``uid@realm``) and the networks."""
    config = current()
    server = wifi_server()
    realm = config.wifi.realm
    identity, anonymous = wifi_identities(uid, realm) if uid else ("", "")
    names = ", ".join(server.names) if server else config.portal.radius_server_name
    has_ca = bool(server or config.wifi.server_cas)
    return {
        "ca_roots_url": f"{config.public_url}/ca/roots.pem",
        "ca_bundle_url": f"{config.public_url}/ca/bundle.pem",
        "radius_server_name": names,
        "server_ca_url": f"{config.public_url}/help/wifi-server-ca.pem" if has_ca else "",
        "wifi_demo": bool(server and server.demo),
        "realm": realm,
        "wifi_identity": identity,
        "anonymous_identity": anonymous or (f"anonymous@{realm}" if realm else ""),
    }


@require_GET
def wifi_server_ca(request: HttpRequest) -> HttpResponse:
    """The CA certificate(s) of the Wi-Fi server, for setting up Wi-Fi by hand (public)."""
    data = _server_cas_pem()
    if not data:
        raise Http404
    response = HttpResponse(data, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="wifi-server-ca.pem"'
    patch_cache_control(response, public=True, max_age=3600)
    return response


def import_guide(request: HttpRequest, platform: str) -> HttpResponse:
    if platform not in PLATFORMS:
        raise Http404
    person = person_for(request.user) if request.user.is_authenticated else None
    context = {"platform": platform, "platform_name": PLATFORMS[platform], "platforms": PLATFORMS}
    return render(
        request,
        f"portal/help/import_{platform}.html",
        context | wifi_settings(person.uid if person else None),
    )


class CheckForm(forms.Form):
    certificate = forms.FileField(
        label=_("Certificate file"),
        help_text=_("A certificate (.pem, .crt, .cer, .der) or a PKCS#12 file (.p12, .pfx)."),
    )
    pin = forms.CharField(
        label=_("Access PIN (only for a .p12/.pfx file)"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def clean_certificate(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["certificate"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("This file is too large to be a certificate."))
        return upload


def pkcs12_refusal(exc: Pkcs12Refused) -> str:
    """Why an uploaded PKCS#12 file was not opened, in the request's language."""
    if isinstance(exc, Pkcs12TooCostly):
        return _(
            "This PKCS#12 file asks for %(iterations)s key-derivation rounds (%(part)s); jitsuin "
            "opens files with at most %(limit)s. It was not opened. Export it again with the "
            "usual settings, or check the certificate file (.pem/.cer) instead."
        ) % {"iterations": f"{exc.iterations:,}", "part": exc.part, "limit": f"{exc.limit:,}"}
    if isinstance(exc, Pkcs12UnsupportedScheme):
        return _(
            "This PKCS#12 file uses a scheme jitsuin does not open (%(scheme)s). It was not "
            "opened. Check the certificate file (.pem/.cer) instead."
        ) % {"scheme": exc.scheme}
    return _(
        "This PKCS#12 file took too long to open and was refused. Check the certificate "
        "file (.pem/.cer) instead."
    )


@never_cache
def check(request: HttpRequest) -> HttpResponse:
    """Is my certificate still good? The file is read in memory and never stored."""
    verdict = None
    form = CheckForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["certificate"].read(MAX_UPLOAD + 1)
        pin = form.cleaned_data["pin"] or None
        try:
            verdict = check_certificate(data, pin=pin, lang=_language())
        except Pkcs12Refused as exc:
            form.add_error("certificate", pkcs12_refusal(exc))
        except WrongPin:
            if pin:
                form.add_error("pin", _("The file does not open with this PIN. Check the PIN."))
            else:
                form.add_error(
                    "certificate",
                    _(
                        "This file could not be read as a certificate. If it is a .p12/.pfx "
                        "file, enter its access PIN too."
                    ),
                )
        except PkiError:
            form.add_error("certificate", _("This file could not be read as a certificate."))
    return render(request, "portal/check.html", {"form": form, "verdict": verdict})
