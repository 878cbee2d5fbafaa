"""Console forms: every action asks for a reason, which goes into the audit log."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from jitsuin.audit.export import AuditFilter
from jitsuin.console.services import NOTICE_FIELDS
from jitsuin.lifecycle.models import MaintenanceWindow, Profile, RolloverPolicy
from jitsuin.lifecycle.reasons import CONSOLE_REASONS, REASON_LABELS
from jitsuin.notify.models import Notice


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


TIME_ZONE_HELP = _("Japan time (JST).")


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
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=100)

    def selection(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        data = self.cleaned_data
        return AuditFilter(
            since=data["since"],
            until=data["until"],
            actor=data["actor"].strip(),
            action=data["action"].strip(),
            object_id=data["object_id"].strip(),
        )
