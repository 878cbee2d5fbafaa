"""Console forms for campaigns."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from jitsuin.authorities.models import Authority
from jitsuin.campaigns import dates, guard, links, mailtext
from jitsuin.campaigns.models import DEFAULT_SUMMARY_LEAD

_PLACEHOLDER_HELP = _(
    "The whole e-mail, with these placeholders: {known}. Left empty, the default text is sent."
)


def _intermediates() -> Any:
    return Authority.objects.intermediates().exclude(status="revoked").order_by("not_before")


class CampaignForm(forms.Form):
    name = forms.SlugField(label=_("Name"), max_length=80, help_text=_("Letters, digits, hyphens."))
    old = forms.ModelMultipleChoiceField(
        label=_("Old intermediate(s)"), queryset=Authority.objects.none(), to_field_name="name"
    )
    new = forms.ModelChoiceField(
        label=_("New intermediate"), queryset=Authority.objects.none(), to_field_name="name"
    )
    cutoff = forms.DateTimeField(
        label=_("Cut-off (the new intermediate issues from then)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline (the old intermediate is revoked)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reminders = forms.CharField(
        label=_("Reminders (days before the deadline)"), initial="30,14,7,3,1", max_length=100
    )
    subject_ja = forms.CharField(
        label=_("Subject (Japanese)"),
        max_length=mailtext.MAX_SUBJECT,
        required=False,
        initial=mailtext.DEFAULT_SUBJECTS["ja"],
    )
    subject_en = forms.CharField(
        label=_("Subject (English)"),
        max_length=mailtext.MAX_SUBJECT,
        required=False,
        initial=mailtext.DEFAULT_SUBJECTS["en"],
    )
    body_ja = forms.CharField(
        label=_("Whole e-mail (Japanese)"),
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=mailtext.MAX_BODY,
        required=False,
        initial=mailtext.DEFAULT_BODIES["ja"],
        help_text=format_lazy(_PLACEHOLDER_HELP, known=mailtext.known()),
    )
    body_en = forms.CharField(
        label=_("Whole e-mail (English)"),
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=mailtext.MAX_BODY,
        required=False,
        initial=mailtext.DEFAULT_BODIES["en"],
        help_text=format_lazy(_PLACEHOLDER_HELP, known=mailtext.known()),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old"].queryset = _intermediates()  # type: ignore[attr-defined]
        self.fields["new"].queryset = _intermediates()  # type: ignore[attr-defined]

    def clean_reminders(self) -> list[int]:
        text = self.cleaned_data["reminders"]
        try:
            days = sorted({int(p) for p in text.split(",") if p.strip()}, reverse=True)
        except ValueError as exc:
            raise forms.ValidationError(_("Write whole numbers of days, like 30,14,7,1.")) from exc
        if any(d <= 0 for d in days):
            raise forms.ValidationError(_("Days must be positive."))
        return days

    def clean(self) -> dict[str, Any]:
        """Each subject and body may link only to the portal, and the dates make sense (the
        service checks both again); each problem is shown at its field."""
        data = super().clean() or {}
        if data.get("cutoff") and data.get("deadline") and "reminders" in data:
            for problem in dates.problems(
                cutoff=data["cutoff"],
                deadline=data["deadline"],
                reminder_days=data["reminders"],
                summary_lead=DEFAULT_SUMMARY_LEAD,
                now=timezone.now(),
            ):
                self.add_error(problem.field, str(problem.message))
        for field in links.TEXT_FIELDS:
            try:
                mailtext.check_texts({field: data.get(field) or ""})
                links.check_text(data.get(field) or "")
            except (mailtext.BadTemplate, links.ForeignLink) as exc:
                self.add_error(field, str(exc.message))
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class PostponeForm(forms.Form):
    to = forms.DateTimeField(
        label=_("New deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)


class GuardForm(forms.Form):
    """An irreversible step: the campaign's name typed exactly, and a reason for the audit log."""

    typed = forms.CharField(label=_("Type the campaign's name to confirm"), max_length=100)
    reason = forms.CharField(
        label=_("Reason (kept in the audit log)"),
        max_length=guard.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, campaign: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["typed"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_typed(self) -> str:
        typed: str = self.cleaned_data["typed"]
        try:
            guard.check_typed(self.campaign, typed)
        except guard.Refused as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        return typed
