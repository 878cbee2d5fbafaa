"""The `jitsuin` command."""
