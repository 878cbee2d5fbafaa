"""API tokens in the console (CA admins): the list, a new token shown once, revoking one."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jitsuin.access.models import ApiToken
from jitsuin.access.tokens import NAME_PATTERN, SCOPES, TokenError, create_token, revoke_token
from jitsuin.access.tokens import state as token_state
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.roles import API_TOKENS


class TokenForm(forms.Form):
    name = forms.RegexField(
        label=gettext_lazy("Name"),
        regex=NAME_PATTERN,
        max_length=64,
        help_text=gettext_lazy("Lower-case letters, digits, . _ - (e.g. radius-1)."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=[(scope, scope) for scope in SCOPES],
        widget=forms.CheckboxSelectMultiple,
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=gettext_lazy("Leave empty for a token that does not expire."),
    )


def _page(request: HttpRequest, form: TokenForm, created: str = "") -> HttpResponse:
    now = timezone.now()
    rows = [(token, token_state(token, now)) for token in ApiToken.objects.order_by("name")]
    return render(request, "console/tokens.html", {"rows": rows, "form": form, "created": created})


@console_view(API_TOKENS)
def tokens(request: HttpRequest) -> HttpResponse:
    """GET: the list and the form. POST: a new token, shown on this answer only (never
    cached: console views send Cache-Control: no-store)."""
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    days = form.cleaned_data["expires_in_days"]
    try:
        raw, _token = create_token(
            form.cleaned_data["name"],
            form.cleaned_data["scopes"],
            actor=staff_actor(request),
            expires_in=timedelta(days=days) if days else None,
        )
    except TokenError as exc:
        form.add_error("name", str(exc))
        return _page(request, form)
    return _page(request, TokenForm(), created=raw)


@require_POST
@console_view(API_TOKENS)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id)
    try:
        revoke_token(token.name, actor=staff_actor(request))
        messages.success(request, _("The API token %(name)s is revoked.") % {"name": token.name})
    except TokenError as exc:
        messages.error(request, str(exc))
    return redirect("console:api_tokens")
