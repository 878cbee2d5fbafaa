"""Sign-in forms: password plus a TOTP code for accounts that have one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, match_token
from django_otp.models import Device


class SignInForm(AuthenticationForm):
    otp_token = forms.CharField(
        label=_("One-time code"),
        required=False,
        max_length=12,
        help_text=_("The 6-digit code from your authenticator app, if you have set one up."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "otp_required": _("This account uses a one-time code: enter the code from your app."),
        "otp_invalid": _("The one-time code is not correct or has expired. Try the current code."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.otp_device: Device | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        if not any(True for _ in devices_for_user(user, confirmed=True)):
            return cleaned
        token = (cleaned.get("otp_token") or "").replace(" ", "")
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        device = match_token(user, token)
        if device is None:
            raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
        self.otp_device = device
        return cleaned


class TotpCodeForm(forms.Form):
    token = forms.CharField(
        label=_("One-time code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].replace(" ", "")
