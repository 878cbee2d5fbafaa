"""The sanity rules for a campaign's dates, in one place for the service, the console and the CLI.

A campaign runs from the cut-off (the new intermediate issues from then) to the deadline (the
old intermediate is revoked). Refused, each with a message that names the bad input:

- a deadline that is not in the future, or a cut-off more than a day in the past (a cut-off a
  little in the past is how a campaign that starts now is written);
- a deadline that does not leave room for the longest reminder: every reminder (N days before the
  deadline) and the final summary (``summary_lead`` before the deadline) fall between the cut-off
  and the deadline;
- a likely year typo: a deadline more than a year after the cut-off, or a cut-off more than a
  year ahead; the message suggests the date in the year that was probably meant.

Postponing a running campaign (``check_postponement``): the new deadline is in the future,
later than the current one, and not a year typo.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.lifecycle.errors import NotAllowed

# A cut-off up to this far in the past is accepted: "start today" is written as "cut-off now".
CUTOFF_GRACE = timedelta(days=1)
# Longer than this (between now and the cut-off, or the cut-off and the deadline) is a typo.
LONGEST = timedelta(days=366)


class DateProblem(NotAllowed):
    """One broken date rule; ``field`` is the input to fix: cutoff, deadline or reminders."""

    code = "campaign_dates"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _show(value: datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _in_year(value: datetime, year: int) -> datetime:
    try:
        return value.replace(year=year)
    except ValueError:  # 29 February
        return value.replace(year=year, day=28)


def _likely(value: datetime, after: datetime) -> datetime:
    """``value`` moved to the first year that puts it after ``after``."""
    local, anchor = timezone.localtime(value), timezone.localtime(after)
    guess = _in_year(local, anchor.year)
    return guess if guess >= anchor else _in_year(local, anchor.year + 1)


def problems(
    *,
    cutoff: datetime,
    deadline: datetime,
    reminder_days: Sequence[int],
    summary_lead: timedelta,
    now: datetime,
) -> list[DateProblem]:
    """Every broken rule, in the order the fields appear on the form (empty: the dates are fine)."""
    found: list[DateProblem] = []
    if cutoff < now - CUTOFF_GRACE:
        found.append(
            DateProblem(
                "cutoff",
                _("The cut-off %(cutoff)s is in the past. Did you mean %(likely)s?")
                % {"cutoff": _show(cutoff), "likely": _show(_likely(cutoff, now))},
            )
        )
    elif cutoff - now > LONGEST:
        found.append(
            DateProblem(
                "cutoff",
                _(
                    "The cut-off %(cutoff)s is more than a year ahead; is the year a typo? "
                    "Did you mean %(likely)s?"
                )
                % {"cutoff": _show(cutoff), "likely": _show(_likely(cutoff, now))},
            )
        )
    if deadline <= now:
        found.append(
            DateProblem(
                "deadline",
                _("The deadline %(deadline)s is in the past. Did you mean %(likely)s?")
                % {
                    "deadline": _show(deadline),
                    "likely": _show(_likely(deadline, max(now, cutoff))),
                },
            )
        )
    elif deadline <= cutoff:
        found.append(
            DateProblem(
                "deadline",
                _("The deadline must come after the cut-off (%(cutoff)s).")
                % {"cutoff": _show(cutoff)},
            )
        )
    elif deadline - cutoff > LONGEST:
        found.append(
            DateProblem(
                "deadline",
                _(
                    "The deadline %(deadline)s is more than a year after the cut-off; "
                    "is the year a typo? Did you mean %(likely)s?"
                )
                % {"deadline": _show(deadline), "likely": _show(_likely(deadline, cutoff))},
            )
        )
    if found:
        return found
    longest = max(reminder_days, default=0)
    if deadline - timedelta(days=longest) < cutoff:
        found.append(
            DateProblem(
                "reminders",
                _(
                    "The reminder %(days)s days before the deadline would be on %(at)s, before "
                    "the cut-off %(cutoff)s. Put the deadline at least %(days)s days after the "
                    "cut-off (%(earliest)s or later) or drop that reminder."
                )
                % {
                    "days": longest,
                    "at": _show(deadline - timedelta(days=longest)),
                    "cutoff": _show(cutoff),
                    "earliest": _show(cutoff + timedelta(days=longest)),
                },
            )
        )
    elif deadline - summary_lead < cutoff:
        found.append(
            DateProblem(
                "deadline",
                _(
                    "The final summary (%(lead)s days before the deadline) would be on %(at)s, "
                    "before the cut-off %(cutoff)s. Put the deadline later."
                )
                % {
                    "lead": summary_lead.days,
                    "at": _show(deadline - summary_lead),
                    "cutoff": _show(cutoff),
                },
            )
        )
    return found


def check_dates(
    *,
    cutoff: datetime,
    deadline: datetime,
    reminder_days: Sequence[int],
    summary_lead: timedelta,
    now: datetime,
) -> None:
    """Raise the first ``DateProblem`` (see ``problems`` for every one)."""
    found = problems(
        cutoff=cutoff,
        deadline=deadline,
        reminder_days=reminder_days,
        summary_lead=summary_lead,
        now=now,
    )
    if found:
        raise found[0]


def check_postponement(
    *, cutoff: datetime, deadline: datetime, new_deadline: datetime, now: datetime
) -> None:
    """Raise a ``DateProblem`` (field ``deadline``) unless ``new_deadline`` may replace
    ``deadline``: in the future, later than it (announced dates only move later), and no more
    than a year after the cut-off."""
    if new_deadline <= now:
        raise DateProblem(
            "deadline",
            _("The new deadline %(deadline)s is in the past. Did you mean %(likely)s?")
            % {"deadline": _show(new_deadline), "likely": _show(_likely(new_deadline, now))},
        )
    if new_deadline <= deadline:
        raise DateProblem(
            "deadline",
            _(
                "The new deadline %(new)s is not after the current one (%(current)s): people "
                "were told that date, so a postponement only moves it later."
            )
            % {"new": _show(new_deadline), "current": _show(deadline)},
        )
    if new_deadline - cutoff > LONGEST:
        raise DateProblem(
            "deadline",
            _(
                "The deadline %(deadline)s is more than a year after the cut-off; "
                "is the year a typo? Did you mean %(likely)s?"
            )
            % {
                "deadline": _show(new_deadline),
                "likely": _show(_likely(new_deadline, deadline)),
            },
        )
