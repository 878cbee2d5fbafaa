"""`jitsuin campaign ...`: CA switchover campaigns."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jitsuin.campaigns import guard, mailing, members, queries, sendouts, services
from jitsuin.campaigns.export import csv_rows
from jitsuin.campaigns.models import Campaign, CampaignState, ReminderRound
from jitsuin.campaigns.preflight import Check, all_passed
from jitsuin.cli.management.commands._campaign_guard_cli import GuardedActors
from jitsuin.cli.management.commands._campaign_mail_cli import (
    MailActions,
    add_mail_arguments,
    add_remind_now,
)
from jitsuin.cli.management.commands._lifecycle_cli import cli_actor
from jitsuin.lifecycle.errors import LifecycleError


def _when(text: str) -> datetime:
    """ISO 8601; without a zone it is read in the server's time zone (Japan)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date/time") from exc
    return value if value.tzinfo else timezone.make_aware(value)


def _days(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            "reminders are days before the deadline: 30,14,7,1"
        ) from exc


def _local(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else "-"


class Command(GuardedActors, MailActions, BaseCommand):
    help = (
        "CA switchover campaigns: create, plan, preflight, preview, test-send, start, remind, "
        "resend, status, confirm, postpone, cancel, export, list."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", type=_when, help="act as if it were this instant (dry runs)")
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=argparse.ArgumentParser
        )
        create = sub.add_parser("create", help="a draft campaign (nothing happens until start)")
        create.add_argument("name")
        create.add_argument("--old", action="append", required=True, help="old intermediate")
        create.add_argument("--new", required=True, help="new intermediate")
        create.add_argument("--cutoff", type=_when, required=True)
        create.add_argument("--deadline", type=_when, required=True)
        create.add_argument("--reminders", type=_days, default=None, help="e.g. 30,14,7,1")
        create.add_argument("--summary-lead-days", type=int, default=None)
        for lang in ("ja", "en"):
            create.add_argument(f"--subject-{lang}", default="")
            create.add_argument(f"--body-{lang}-file", type=argparse.FileType("r"), default=None)
        sub.add_parser("list", help="every campaign and its state")
        for name, text in (
            ("plan", "dry run: who and what is affected, and when"),
            ("preflight", "run the pre-flight checks"),
            ("remind", "send the reminder that is due now (the scheduler does this too)"),
            ("export", "CSV of the members and their progress"),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("name")
            if name == "remind":
                add_remind_now(p)
            if name == "plan":
                p.add_argument("--json", action="store_true")
            if name == "export":
                p.add_argument("-o", "--output", type=argparse.FileType("w"), default=None)
                p.add_argument("--all", action="store_true", help="migrated people too")
        start = sub.add_parser("start", help="switch the issuing CA and invite everyone affected")
        start.add_argument("name")
        start.add_argument(
            "--skip-preflight", action="store_true", help="start even though checks fail"
        )
        confirm = sub.add_parser(
            "confirm",
            help="show the final summary; with --yes one of the two CA admins' confirmations",
        )
        for guarded in (start, confirm):
            guarded.add_argument("--yes", action="store_true", help="do it (else: show only)")
            guarded.add_argument("--reason", default="", help="why (required with --yes)")
            guarded.add_argument(
                "--as", dest="as_user", default="", help="the CA admin (console username) acting"
            )
        status = sub.add_parser("status", help="progress and the stragglers")
        status.add_argument("name")
        status.add_argument("--stragglers", type=int, default=20)
        status.add_argument("--json", action="store_true")
        confirm.add_argument("name")
        cancel = sub.add_parser(
            "cancel", help="stop the campaign (the new CA stays the issuing CA; nothing is revoked)"
        )
        cancel.add_argument("name")
        cancel.add_argument("--reason", required=True)
        postpone = sub.add_parser("postpone", help="move the deadline")
        postpone.add_argument("name")
        postpone.add_argument("--to", type=_when, required=True)
        postpone.add_argument("--reason", required=True)
        add_mail_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        self.now = options["at"] or timezone.now()
        self.actor = cli_actor()
        self.console = Console(file=self.stdout, width=160)
        action = options["action"]
        self.warn_public_url(action)
        try:
            getattr(self, f"do_{action.replace('-', '_')}")(options)
        except LifecycleError as exc:
            raise CommandError(str(exc.message)) from exc

    def _progress(self, label: str) -> tuple[Progress, Callable[[int, int], None]]:
        bar = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
        )
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return bar, advance

    def do_create(self, options: dict[str, Any]) -> None:
        texts = {f"subject_{lang}": options[f"subject_{lang}"] for lang in ("ja", "en")}
        for lang in ("ja", "en"):
            handle = options[f"body_{lang}_file"]
            if handle is not None:
                texts[f"body_{lang}"] = handle.read()
        lead = options["summary_lead_days"]
        campaign = services.create_campaign(
            options["name"],
            old=options["old"],
            new=options["new"],
            cutoff=options["cutoff"],
            deadline=options["deadline"],
            actor=self.actor,
            reminder_days=options["reminders"],
            summary_lead=timedelta(days=lead) if lead is not None else None,
            texts=texts,
            now=self.now,
        )
        self.stdout.write(
            f"created campaign {campaign.name} (draft): `jitsuin campaign plan {campaign.name}`"
        )

    def do_list(self, options: dict[str, Any]) -> None:
        table = Table("name", "state", "old", "new", "cut-off", "deadline")
        for c in Campaign.objects.select_related("new_authority").prefetch_related(
            "old_authorities"
        ):
            table.add_row(
                c.name,
                c.state,
                ", ".join(a.name for a in c.old_authorities.all()),
                c.new_authority.name,
                _local(c.cutoff),
                _local(c.deadline),
            )
        self.console.print(table)

    def do_plan(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        plan = queries.plan(campaign, now=self.now)
        if options["json"]:
            self.stdout.write(json.dumps(plan.as_dict(), indent=2, ensure_ascii=False))
            return
        self.stdout.write(
            f"campaign {campaign.name} ({campaign.state}), dry run at {_local(plan.at)}"
        )
        self.stdout.write(
            f"affected: {plan.certificates} valid certificates held by {plan.people} people"
        )
        self.stdout.write(
            f"seen in use in the last 30 days: {plan.seen_certificates} certificates, "
            f"{plan.seen_people} people"
        )
        self.stdout.write(f"expire on their own before the deadline: {plan.expire_before_deadline}")
        table = Table("profile", "rollover policy", "certificates", "people")
        for line in plan.profiles:
            table.add_row(line.slug, line.policy, str(line.certificates), str(line.people))
        self.console.print(table)
        if plan.exceptions:
            exceptions = ", ".join(f"{k}: {v}" for k, v in plan.exceptions.items())
            self.stdout.write(f"policy exceptions: {exceptions}")
        timeline = Table("when", "what")
        for entry in plan.timeline:
            timeline.add_row(_local(entry.at), entry.what)
        self.console.print(timeline)

    def _print_checks(self, checks: list[Check]) -> None:
        for check in checks:
            if check.skipped:
                mark = self.style.WARNING("SKIP")
            else:
                mark = self.style.SUCCESS("PASS") if check.passed else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {check.name}: {check.reason}")

    def do_preflight(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        checks = services.run_preflight(campaign, actor=self.actor, now=self.now)
        self._print_checks(checks)
        if not all_passed(checks):
            raise CommandError("pre-flight checks failed")

    def do_start(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        actor = self._guarded_actor(options, required=False)
        self.stdout.write(guard.start_consequence(campaign, now=self.now).text)
        if not options["yes"]:
            self.stdout.write(
                f"nothing started; run again with --yes --reason '...' to start {campaign.name}"
            )
            return
        try:
            campaign = guard.start(
                campaign,
                actor=actor,
                typed=campaign.name,
                reason=options["reason"],
                now=self.now,
                require_preflight=not options["skip_preflight"],
                via=self._via(actor),
            )
        except services.PreflightFailed as exc:
            self._print_checks(exc.checks)
            raise CommandError("pre-flight checks failed; nothing was changed") from exc
        self._print_checks([Check.from_dict(c) for c in campaign.preflight])
        self.stdout.write(
            f"{campaign.new_authority.name} is now the issuing CA; "
            f"{campaign.members.count()} people are in the campaign"
        )
        # start() queued them for the worker; work through them here and show the bar.
        bar, advance = self._progress("invitations")
        with bar:
            task = mailing.send_invitations(campaign, now=self.now, progress=advance)
        if task is not None:
            self.stdout.write(f"invitations in the outbox: {task.done}")

    def do_remind(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        bar, advance = self._progress("reminders")
        reminder: ReminderRound | None
        with bar:
            if options["now"]:
                reminder = sendouts.remind_now(campaign, actor=self.actor, now=self.now)
                if reminder.task is not None:  # the worker may have it already: then it's done
                    mailing.run_task(reminder.task, now=self.now, progress=advance)
                reminder.refresh_from_db()
            else:
                reminder = mailing.send_reminders(
                    campaign, now=self.now, progress=advance, actor=self.actor
                )
        if reminder is None:
            self.stdout.write("no reminder is due")
        else:
            self.stdout.write(
                f"reminder {reminder.days_before} days before the deadline: "
                f"{reminder.recipients} people"
            )

    def do_status(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        p = queries.progress(campaign, now=self.now)
        if options["json"]:
            self.stdout.write(json.dumps(p.as_dict(), indent=2))
            return
        self.stdout.write(
            f"campaign {campaign.name} ({campaign.state}); deadline {_local(campaign.deadline)}"
        )
        table = Table("category", "people", "share")
        for name in queries.CATEGORIES:
            table.add_row(name.replace("_", " "), str(getattr(p, name)), f"{p.percent(name):.1f} %")
        table.add_row("total", str(p.total), "")
        self.console.print(table)
        self.stdout.write(
            f"not migrated and old certificate seen in the last 30 days: {p.old_in_use}"
        )
        limit = options["stragglers"]
        if limit:
            stragglers = Table("uid", "name", "category", "old cert last seen", "old serial")
            for row in members.member_rows(campaign, now=self.now, limit=limit):
                stragglers.add_row(
                    row.uid, row.name, row.category, _local(row.last_seen_at), row.old_serial
                )
            self.console.print(stragglers)

    def do_confirm(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        if campaign.state == CampaignState.STARTED:
            services.prepare_summary(campaign, actor=self.actor, now=self.now)
            campaign.refresh_from_db()
        summary = campaign.summary
        if summary:
            p = summary["progress"]
            self.stdout.write(
                f"final summary: {p['migrated']} of {p['total']} migrated; "
                f"{p['total'] - p['migrated']} people still depend on "
                f"{', '.join(a.name for a in campaign.old_authorities.all())}"
            )
            self._print_checks([Check.from_dict(c) for c in summary["checks"]])
        if campaign.state == CampaignState.AWAITING_CONFIRMATION:
            self.stdout.write(guard.confirm_consequence(campaign, now=self.now).text)
        if campaign.first_confirmed_by:
            self.stdout.write(
                f"first confirmed by {campaign.first_confirmed_by} at "
                f"{_local(campaign.first_confirmed_at)} ({campaign.first_confirmation_reason}); "
                "a different CA admin must confirm second"
            )
        if not options["yes"]:
            self.stdout.write(
                "nothing confirmed; run again with --yes --reason '...' --as USERNAME to revoke "
                f"the old intermediate on {_local(campaign.deadline)}"
            )
            return
        actor = self._guarded_actor(options, required=True)
        campaign = guard.confirm(
            campaign,
            actor=actor,
            typed=campaign.name,
            reason=options["reason"],
            now=self.now,
            via=self._via(actor),
        )
        if campaign.state == CampaignState.AWAITING_CONFIRMATION:
            self.stdout.write(
                f"first confirmation recorded for {actor}; a different CA admin must confirm "
                f"with `jitsuin campaign confirm {campaign.name} --yes --reason ... --as ...`"
            )
        elif campaign.state == CampaignState.COMPLETED:
            self.stdout.write("confirmed; the old intermediate is revoked")
        else:
            self.stdout.write(
                f"confirmed; the old intermediate will be revoked on {_local(campaign.deadline)}"
            )

    def do_postpone(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        campaign = services.postpone(
            campaign, to=options["to"], actor=self.actor, reason=options["reason"], now=self.now
        )
        self.stdout.write(f"deadline moved to {_local(campaign.deadline)}")

    def do_cancel(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        services.cancel(campaign, actor=self.actor, reason=options["reason"], now=self.now)
        self.stdout.write(f"campaign {campaign.name} cancelled")

    def do_export(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        out = options["output"] or self.stdout
        services.note_export(campaign, actor=self.actor, everyone=options["all"])
        writer = csv.writer(out)
        for row in csv_rows(campaign, now=self.now, stragglers_only=not options["all"]):
            writer.writerow(row)
