"""The national certificate service's formats (docs/upstream-service-facts.md): application
TSV files, result pages, notification mails and the status list. Django-free, so that the
`upki` connector and the simulator read and write the very same bytes."""
