"""The national certificate service (UPKI) as a connector: applications collected into TSV
batches, uploaded by the registration officer's client, answered by result pages, mails and
the status list (docs/upstream.md). The formats and HTTP clients are Django-free in
``jitsuin.upstream``; this app keeps what was sent and what came back."""
