"""The revocation tests' fixtures: a CA hierarchy (``pki``) and fresh process caches."""

from tests.revocation.conftest import _fresh_process_caches, pki  # noqa: F401
