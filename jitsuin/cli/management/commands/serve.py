"""`jitsuin serve`: the embedded default in one process."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.wsgi import get_wsgi_application

from jitsuin.authorities.keys import check_kek
from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.services import init_hierarchy
from jitsuin.cli.demo import ensure_demo_data
from jitsuin.cli.server import build_server
from jitsuin.config import current
from jitsuin.jobs.worker import start_background_worker
from jitsuin.lifecycle.pipeline_worker import PipelineWorker
from jitsuin.notify.public_url import record_server_url


class Command(BaseCommand):
    help = (
        "Run jitsuin: apply migrations, create the demo CA hierarchy if there is none, "
        "then serve the web pages and run a task worker in the same process."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker", action="store_true", help="do not run the in-process worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = current()
        call_command("migrate", interactive=False, verbosity=0)
        if not Authority.objects.exists():
            result = init_hierarchy()
            for authority in (result.root, result.intermediate):
                publishing.latest_crl_or_sign(
                    authority
                )  # relying parties never meet a CA without one
            self.stdout.write(
                f"created the demo CA hierarchy: {result.root.name} / {result.intermediate.name}"
            )
        ensure_demo_data(self.stdout)
        check_kek()
        record_server_url()  # e-mail links use this URL, whichever process sends them
        if not options["no_worker"]:
            start_background_worker(PipelineWorker)
        server = build_server(options["host"], options["port"], get_wsgi_application())
        host, port = server.server_address[:2]
        self.stdout.write(
            f"jitsuin {config.public_url} listening on http://{host}:{port} "
            f"(data: {config.data_dir})"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
