"""`jitsuin worker`: run a task worker with the periodic scheduler."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jitsuin.authorities.keys import check_kek
from jitsuin.lifecycle.pipeline import default_worker_id
from jitsuin.lifecycle.pipeline_worker import PipelineWorker


class Command(BaseCommand):
    help = (
        "Run a task worker: issue and revoke requests, CRL publishing, e-mail, and the "
        "periodic jobs. Run as many as you like; they share the work safely."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default="*",
            help="comma-separated queues (default: all: default,pipeline,publish,notify,bulk)",
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to sleep when idle"
        )
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="exit after this many tasks"
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="do not run the periodic jobs here"
        )
        parser.add_argument("--worker-id", default="", help="unique name of this worker")

    def handle(self, *args: Any, **options: Any) -> None:
        # A worker whose key-encryption key does not open the CA keys would fail every
        # request it touches: refuse to start instead (the message names JITSUIN_KEK).
        check_kek()
        worker = PipelineWorker(
            queue_names=[q for q in options["queues"].split(",") if q],
            interval=options["interval"],
            tick_every=0 if options["no_scheduler"] else None,
            worker_id=options["worker_id"] or default_worker_id(),
            max_tasks=options["max_tasks"],
            batch=options["batch"],
        )
        worker.configure_signals()
        self.stdout.write(f"jitsuin worker {worker.worker_id} running (Ctrl+C stops it)")
        self.stdout.flush()
        worker.run()
