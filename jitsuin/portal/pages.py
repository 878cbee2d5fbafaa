"""Notices (お知らせ), help pages with import guides and the FAQ, and the certificate check."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from jitsuin.config import current
from jitsuin.lifecycle.verdict import check_certificate
from jitsuin.notify.models import Notice
from jitsuin.pki.errors import (
    Pkcs12Refused,
    Pkcs12TooCostly,
    Pkcs12UnsupportedScheme,
    PkiError,
    WrongPin,
)

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


def wifi_settings() -> dict[str, str]:
    """What a device needs to check the Wi-Fi server: the CA certificates and the server name."""
    config = current()
    return {
        "ca_roots_url": f"{config.public_url}/ca/roots.pem",
        "ca_bundle_url": f"{config.public_url}/ca/bundle.pem",
        "radius_server_name": config.portal.radius_server_name,
    }


def import_guide(request: HttpRequest, platform: str) -> HttpResponse:
    if platform not in PLATFORMS:
        raise Http404
    context = {"platform": platform, "platform_name": PLATFORMS[platform], "platforms": PLATFORMS}
    return render(request, f"portal/help/import_{platform}.html", context | wifi_settings())


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
