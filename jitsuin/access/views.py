"""Sign-in and sign-out pages, and setting up or entering a TOTP second factor."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login

from jitsuin.access import services, sso
from jitsuin.access.forms import SignInForm, TotpCodeForm
from jitsuin.access.roles import is_staff_member, second_factor_verified


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return str(settings.LOGIN_REDIRECT_URL)


def _staff_without_certificates(user: AbstractBaseUser) -> bool:
    # The Person row is reached through its reverse relation: access sits below lifecycle.
    return is_staff_member(user) and getattr(user, "person", None) is None


@never_cache
@csrf_protect
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.method == "POST":
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
                address=str(getattr(request, "client_address", "") or ""),
            )
            if next_url == str(settings.LOGIN_REDIRECT_URL) and _staff_without_certificates(user):
                # Staff who hold no certificates of their own work in the console.
                next_url = reverse("console:dashboard")
            if is_staff_member(user) and not second_factor_verified(request):
                return redirect(f"{reverse('access:totp')}?{urlencode({'next': next_url})}")
            return redirect(next_url)
    else:
        form = SignInForm(request)
    return render(
        request,
        "access/login.html",
        {"form": form, "next": next_url, "sso": sso.enabled_methods()},
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("access:login")


@never_cache
@login_required
def totp(request: HttpRequest) -> HttpResponse:
    """Enter a code from a confirmed device, or set one up (staff must, users may)."""
    user = request.user
    next_url = _next_url(request)
    if second_factor_verified(request):
        return redirect(next_url)
    confirmed = list(devices_for_user(user, confirmed=True))
    device = None if confirmed else services.pending_totp_device(user)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        verified = None
        if device is not None:
            if services.confirm_totp(user, device, token):
                device.refresh_from_db()
                verified = device
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
