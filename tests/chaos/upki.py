"""A worker that dies between an upload and its result page, for tests/faults: imported
before jitsuin's main in a worker process (``python -c``), it lets the officer's client
upload, then writes ``CHAOS_UPLOADED`` (a file) and hangs, to be killed there."""

from __future__ import annotations

import os
import time
from pathlib import Path

from jitsuin.upstream import client

_upload = client.OfficerClient.upload


def _upload_then_hang(self, apply_type, tsv, *, stop_on_error=True):  # type: ignore[no-untyped-def]
    _upload(self, apply_type, tsv, stop_on_error=stop_on_error)  # the service takes the file
    Path(os.environ["CHAOS_UPLOADED"]).write_bytes(tsv)
    time.sleep(3600)  # the result page is never read: SIGKILL comes first


client.OfficerClient.upload = _upload_then_hang  # type: ignore[method-assign]
