"""Sign-in and sign-out pages, and setting up or entering a TOTP second factor."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login

from jitsuin.access import services, throttle
from jitsuin.access.forms import EnrolmentCodeForm, SignInForm, TotpCodeForm
from jitsuin.access.models import SealedTOTPDevice
from jitsuin.access.roles import is_staff_member, second_factor_verified

# The device a redeemed enrolment code made, until it is confirmed (session key).
ENROLLING_DEVICE = "jitsuin_enrolling_device"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return str(settings.LOGIN_REDIRECT_URL)


def _address(request: HttpRequest) -> str:
    return str(getattr(request, "client_address", "") or "")


def _staff_without_certificates(user: AbstractBaseUser) -> bool:
    # The Person row is reached through its reverse relation: access sits below lifecycle.
    return is_staff_member(user) and getattr(user, "person", None) is None


@never_cache
@csrf_protect
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.method == "POST":
        held = throttle.address_wait(request)
        if held is not None:
            services.record_sign_in_failure(
                username=request.POST.get("username", ""),
                address=_address(request),
                locked_out=True,
            )
            return _locked_out_page(request, held)
        form = SignInForm(request, data=request.POST)
        if form.is_valid():
            user = form.get_user()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if form.otp_device is not None:
                otp_login(request, form.otp_device)
            services.record_sign_in(
                user,
                method="password",
                second_factor=form.otp_device is not None,
                address=_address(request),
            )
            if next_url == str(settings.LOGIN_REDIRECT_URL) and _staff_without_certificates(user):
                # Staff who hold no certificates of their own work in the console.
                next_url = reverse("console:dashboard")
            if is_staff_member(user) and not second_factor_verified(request):
                return redirect(f"{reverse('access:totp')}?{urlencode({'next': next_url})}")
            return redirect(next_url)
        if "username" in form.cleaned_data:  # a refused try, not a half-filled form
            services.record_sign_in_failure(
                username=form.cleaned_data["username"],
                address=_address(request),
                locked_out=bool(getattr(request, "axes_locked_out", False)),
            )
    else:
        form = SignInForm(request)
    return render(
        request,
        "access/login.html",
        {"form": form, "next": next_url, "sso": list(settings.JITSUIN_SSO_METHODS)},
    )


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: object
) -> HttpResponse:
    """The sign-in page saying when to try again (429): django-axes' AXES_LOCKOUT_CALLABLE."""
    return _locked_out_page(request, throttle.cool_off(request))


def _locked_out_page(request: HttpRequest, wait: timedelta) -> HttpResponse:
    minutes = throttle.minutes(wait)
    message = ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    context = {
        "form": SignInForm(request),
        "next": _next_url(request),
        "sso": list(settings.JITSUIN_SSO_METHODS),
        "lockout": message,
    }
    response = render(request, "access/login.html", context, status=429)
    response["Retry-After"] = str(int(wait.total_seconds()))
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.session.get(services.SSO_SESSION_METHOD):
        # Signed in by an IdP: its sign-out ends the IdP session too (307 keeps the POST).
        response = HttpResponseRedirect(reverse("sso_sign_out"))
        response.status_code = 307
        return response
    services.record_sign_out(request.user, method="password", idp=False)
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("access:login")


def _enrolling_device(request: HttpRequest) -> SealedTOTPDevice | None:
    """The device a redeemed enrolment code made for this session's user, while unconfirmed."""
    device_id = request.session.get(ENROLLING_DEVICE)
    if device_id is None:
        return None
    return SealedTOTPDevice.objects.filter(
        pk=device_id, user_id=request.user.pk, confirmed=False
    ).first()


def _staff_enrolment(request: HttpRequest, next_url: str) -> HttpResponse | None:
    """Staff set up TOTP only after giving an enrolment code a CA admin issued for them.

    Returns the code page, or None once a code was redeemed in this session.
    """
    if _enrolling_device(request) is not None:
        return None
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.redeem_enrolment_code(request.user, form.cleaned_data["code"])
        if device is not None:
            request.session[ENROLLING_DEVICE] = device.pk
            return redirect(f"{reverse('access:totp')}?{urlencode({'next': next_url})}")
        form.add_error("code", _("This enrolment code is not valid: it is wrong, used or expired."))
    return render(request, "access/enrolment_code.html", {"form": form, "next": next_url})


@never_cache
@login_required
def totp(request: HttpRequest) -> HttpResponse:
    """Enter a code from a confirmed device, or set one up (staff must, with an enrolment
    code from a CA admin; users may)."""
    user = request.user
    next_url = _next_url(request)
    if second_factor_verified(request):
        return redirect(next_url)
    confirmed = list(devices_for_user(user, confirmed=True))
    device = None
    if not confirmed:
        if is_staff_member(user):
            code_page = _staff_enrolment(request, next_url)
            if code_page is not None:
                return code_page
            device = _enrolling_device(request)
        else:
            device = services.pending_totp_device(user)
    form = TotpCodeForm(request.POST if "token" in request.POST else None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        verified = None
        if device is not None:
            if services.confirm_totp(user, device, token):
                device.refresh_from_db()
                verified = device
                request.session.pop(ENROLLING_DEVICE, None)
        else:
            verified = next((d for d in confirmed if d.verify_token(token)), None)
        if verified is not None:
            otp_login(request, verified)
            messages.success(request, _("Second factor verified."))
            return redirect(next_url)
        form.add_error("token", _("The one-time code is not correct or has expired."))
    context = {
        "form": form,
        "next": next_url,
        "enrolling": device is not None,
        "secret": services.totp_secret(device) if device else "",
        "config_url": device.config_url if device else "",
        "staff": is_staff_member(user),
    }
    return render(request, "access/totp.html", context)
