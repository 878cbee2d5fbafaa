"""The irreversible campaign steps, guarded: what they do in numbers, a typed name, a reason.

Starting switches the issuing CA and e-mails everyone affected; confirming the revocation
(with a second CA admin, see :mod:`jitsuin.campaigns.approvals`) cuts off whoever has not
moved. The console and the CLI both go through :func:`start` and :func:`confirm` here: the
campaign's name typed exactly and a reason, or nothing happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jitsuin.campaigns import queries, services
from jitsuin.campaigns.models import Campaign
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.issuers import when_text

MAX_REASON = 500


class Refused(NotAllowed):
    code = "confirmation_refused"


def check_typed(campaign: Campaign, typed: str) -> None:
    if typed.strip() != campaign.name:
        raise Refused(
            _(
                "The name you typed does not match the campaign's name (%(name)s). "
                "Nothing was changed."
            )
            % {"name": campaign.name}
        )


def clean_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Refused(_("Give a reason; it is kept in the audit log. Nothing was changed."))
    if len(reason) > MAX_REASON:
        raise Refused(
            _("The reason is too long (at most %(n)d characters). Nothing was changed.")
            % {"n": MAX_REASON}
        )
    return reason


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@dataclass(frozen=True)
class StartConsequence:
    people: int
    certificates: int
    new: str
    old: list[str]
    deadline: datetime

    @property
    def text(self) -> str:
        mailed = ngettext(
            "%(people)d person gets the invitation e-mail now",
            "%(people)d people get the invitation e-mail now",
            self.people,
        ) % {"people": self.people}
        cut = ngettext(
            "%(certificates)d certificate from %(old)s stops working at %(deadline)s unless "
            "its holder switches",
            "%(certificates)d certificates from %(old)s stop working at %(deadline)s unless "
            "their holders switch",
            self.certificates,
        ) % {
            "certificates": self.certificates,
            "old": ", ".join(self.old),
            "deadline": when_text(self.deadline),
        }
        return _("%(mailed)s; %(new)s issues every new certificate from now; %(cut)s.") % {
            "mailed": mailed,
            "new": self.new,
            "cut": cut,
        }


@dataclass(frozen=True)
class ConfirmConsequence:
    not_migrated: int
    total: int
    at: datetime

    @property
    def percent(self) -> int:
        return _percent(self.not_migrated, self.total)

    @property
    def text(self) -> str:
        return ngettext(
            "%(n)d of %(total)d person (%(percent)d %%) loses Wi-Fi/VPN/SSO at %(at)s.",
            "%(n)d of %(total)d people (%(percent)d %%) lose Wi-Fi/VPN/SSO at %(at)s.",
            self.total,
        ) % {
            "n": self.not_migrated,
            "total": self.total,
            "percent": self.percent,
            "at": when_text(self.at),
        }


def start_consequence(campaign: Campaign, *, now: datetime) -> StartConsequence:
    plan = queries.plan(campaign, now=now)
    return StartConsequence(
        people=plan.people,
        certificates=plan.certificates,
        new=campaign.new_authority.name,
        old=[a.name for a in campaign.old_authorities.all()],
        deadline=campaign.deadline,
    )


def confirm_consequence(campaign: Campaign, *, now: datetime) -> ConfirmConsequence:
    """Who is cut off if the revocation goes ahead now: the members not yet migrated."""
    progress = queries.progress(campaign, now=now)
    return ConfirmConsequence(
        not_migrated=progress.not_migrated, total=progress.total, at=max(campaign.deadline, now)
    )


def start(
    campaign: Campaign,
    *,
    actor: str,
    typed: str,
    reason: str,
    now: datetime | None = None,
    require_preflight: bool = True,
    via: str = "",
) -> Campaign:
    check_typed(campaign, typed)
    return services.start(
        campaign,
        actor=actor,
        reason=clean_reason(reason),
        now=now,
        require_preflight=require_preflight,
        via=via,
    )


def confirm(
    campaign: Campaign,
    *,
    actor: str,
    typed: str,
    reason: str,
    now: datetime | None = None,
    via: str = "",
) -> Campaign:
    check_typed(campaign, typed)
    return services.confirm(campaign, actor=actor, reason=clean_reason(reason), now=now, via=via)
