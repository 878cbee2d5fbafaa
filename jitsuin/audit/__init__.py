"""Append-only, hash-chained audit events: every state change is recorded here."""
