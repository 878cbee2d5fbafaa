"""Console forms: every action asks for a reason, which goes into the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jitsuin.audit.export import AuditFilter
from jitsuin.config import current
from jitsuin.console.services import NOTICE_FIELDS
from jitsuin.lifecycle.models import MaintenanceWindow, Profile, RolloverPolicy
from jitsuin.lifecycle.reasons import CONSOLE_REASONS, REASON_LABELS
from jitsuin.notify.models import Notice


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


TIME_ZONE_HELP = _("Japan time (JST).")

# What audit events are about (AuditEvent.object_type), by name.
OBJECT_TYPES = [
    ("lifecycle.person", _("Person")),
    ("lifecycle.request", _("Request")),
    ("lifecycle.certificate", _("Certificate")),
    ("lifecycle.pickup", _("Pickup")),
    ("lifecycle.policyexception", _("Policy exception")),
    ("lifecycle.maintenancewindow", _("Maintenance window")),
    ("campaigns.campaign", _("Campaign")),
    ("authorities.authority", _("Certificate authority")),
    ("notify.outboxmessage", _("E-mail")),
    ("notify.notice", _("Notice")),
    ("auth.user", _("Account")),
    ("auth.group", _("Role")),
]


def connector_names() -> list[str]:
    """``builtin`` and every connector configured in JITSUIN_CONNECTORS."""
    return sorted({"builtin", *current().connectors})


def new_key() -> str:
    return uuid.uuid4().hex


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class KeyedReasonForm(ReasonForm):
    """A reason plus an idempotency key made when the form was shown: a double submit is one."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=new_key)


class RevokeForm(KeyedReasonForm):
    reason_code = forms.ChoiceField(
        label=_("Revocation reason"),
        choices=[(code, REASON_LABELS[code]) for code in CONSOLE_REASONS],
        initial="unspecified",
    )


class ExceptionForm(ReasonForm):
    profile = forms.ModelChoiceField(
        label=_("Profile"), queryset=Profile.objects.filter(active=True)
    )
    policy = forms.ChoiceField(label=_("Rollover policy"), choices=RolloverPolicy.choices)
    expires_at = forms.DateTimeField(label=_("Expires at"), required=False, widget=DateTimeLocal())


class NoticeForm(forms.ModelForm):
    class Meta:
        model = Notice
        fields = list(NOTICE_FIELDS)
        labels = {
            "title_ja": _("Title (Japanese)"),
            "title_en": _("Title (English)"),
            "body_ja": _("Text (Japanese)"),
            "body_en": _("Text (English)"),
            "importance": _("Importance"),
            "publish_at": _("Publish at"),
            "unpublish_at": _("Withdraw at"),
        }
        widgets = {"publish_at": DateTimeLocal(), "unpublish_at": DateTimeLocal()}
        help_texts = {"publish_at": TIME_ZONE_HELP, "unpublish_at": TIME_ZONE_HELP}


class MaintenanceForm(forms.ModelForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    class Meta:
        model = MaintenanceWindow
        fields = ["starts_at", "ends_at", "scope", "connector", "note_ja", "note_en"]
        labels = {
            "starts_at": _("Starts at"),
            "ends_at": _("Ends at"),
            "scope": _("What stops"),
            "connector": _("Connector"),
            "note_ja": _("Note (Japanese)"),
            "note_en": _("Note (English)"),
        }
        widgets = {
            "starts_at": DateTimeLocal(),
            "ends_at": DateTimeLocal(),
            "note_ja": forms.Textarea(attrs={"rows": 3}),
            "note_en": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"starts_at": TIME_ZONE_HELP, "ends_at": TIME_ZONE_HELP}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Chosen from the connectors that exist, never typed: a typo would stop nothing.
        self.fields["connector"] = forms.ChoiceField(
            label=_("Connector"), choices=[(n, n) for n in connector_names()]
        )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            raise forms.ValidationError(_("A maintenance window must end after it starts."))
        return data


class AuditFilterForm(forms.Form):
    since = forms.DateTimeField(label=_("From"), required=False, widget=DateTimeLocal())
    until = forms.DateTimeField(label=_("Until"), required=False, widget=DateTimeLocal())
    actor = forms.CharField(label=_("Actor"), required=False, max_length=200)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=100,
        help_text=_("A full name, or a prefix ending in a dot (request.)"),
    )
    object_type = forms.ChoiceField(
        label=_("Object type"), required=False, choices=[("", _("Any")), *OBJECT_TYPES]
    )
    object_id = forms.CharField(
        label=_("Object id"),
        required=False,
        max_length=100,
        help_text=_("With an object type; or as shown in the list (lifecycle.request:5)."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, ident = data.get("object_type", ""), (data.get("object_id") or "").strip()
        typed, sep, rest = ident.rpartition(":")
        if sep and typed:
            if kind and kind != typed:
                self.add_error("object_id", _("This id names another object type."))
            kind, ident = typed, rest.strip()
        if ident and not kind:
            # An id alone matches request 5 and pickup 5 alike.
            self.add_error("object_type", _("Choose the object type for this id."))
        data["object_type"], data["object_id"] = kind, ident
        return data

    def selection(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        data = self.cleaned_data
        return AuditFilter(
            since=data["since"],
            until=data["until"],
            actor=data["actor"].strip(),
            action=data["action"].strip(),
            object_type=data["object_type"],
            object_id=data["object_id"],
        )
