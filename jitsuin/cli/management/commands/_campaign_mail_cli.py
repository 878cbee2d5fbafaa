"""The e-mail actions of `jitsuin campaign`: preview, test-send, remind --now, resend.

They call the same functions as the console (campaigns/mailing.py, campaigns/sendouts.py).
Every action that puts campaign mail in the outbox first says on stderr when this process's
``JITSUIN_PUBLIC_URL`` is not the web server's: the links use the server's recorded URL
(notify/public_url.py), never this process's environment.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from jitsuin.campaigns import mailing, sendouts, services
from jitsuin.lifecycle.models import Person
from jitsuin.notify.public_url import mismatch

SENDING = ("start", "remind", "resend", "test-send")


def add_mail_arguments(sub: Any) -> None:
    preview = sub.add_parser("preview", help="print the e-mail as it goes out (sample member)")
    preview.add_argument("name")
    preview.add_argument("--reminder", action="store_true", help="the reminder, not the invitation")
    test = sub.add_parser("test-send", help="the e-mail for a sample member to ADDRESS, [TEST]")
    test.add_argument("name")
    test.add_argument("--to", required=True, help="your own e-mail address")
    test.add_argument("--language", choices=("ja", "en", "both"), default="both")
    test.add_argument("--reminder", action="store_true", help="the reminder, not the invitation")
    resend = sub.add_parser(
        "resend", help="the invitation again to these people (only those not yet migrated)"
    )
    resend.add_argument("name")
    resend.add_argument("--person", action="append", required=True, metavar="UID")


def add_remind_now(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now",
        action="store_true",
        help="a reminder round now to everyone not migrated, besides the scheduled ones",
    )


class MailActions:
    """Mixed into the ``campaign`` command (``self.stdout``, ``self.actor``, ``self.now``)."""

    stdout: Any
    actor: str
    now: Any

    def warn_public_url(self, action: str) -> None:
        if action in SENDING:
            warning = mismatch()
            if warning:
                sys.stderr.write(f"warning: {warning}\n")

    def do_preview(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        kind = "reminder" if options["reminder"] else mailing.INVITE
        for mail in mailing.preview_invitation(campaign, kind):
            self.stdout.write(f"=== {mail.language}\nSubject: {mail.subject}\n\n{mail.body}")

    def do_test_send(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        language = options["language"]
        sent = sendouts.send_test(
            campaign,
            to=options["to"],
            actor=self.actor,
            languages=sendouts.LANGUAGES if language == "both" else (language,),
            kind="reminder" if options["reminder"] else mailing.INVITE,
        )
        for message in sent:
            self.stdout.write(f"in the outbox for {message.to}: {message.subject}")

    def do_resend(self, options: dict[str, Any]) -> None:
        campaign = services.get(options["name"])
        uids = options["person"]
        ids = list(Person.objects.filter(uid__in=uids).values_list("pk", flat=True))
        sent = sendouts.resend_invitations(campaign, ids, actor=self.actor, now=self.now)
        skipped = sorted(set(uids) - set(sent))
        self.stdout.write(f"invitation sent again to {len(sent)}: {', '.join(sent) or '-'}")
        if skipped:
            self.stdout.write(f"skipped (migrated, not members or unknown): {', '.join(skipped)}")
