"""``jitsuin makemessages``: Django's, also extracting ``ngettext_noop(singular, plural)`` pairs.

A message chosen by a number later (``ngettext(*pair, n)``) is declared at import time with
``ngettext_noop``; without the keyword xgettext saw two unrelated msgids and the catalog's plural
entry went obsolete on every run.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=ngettext_noop:1,2"]
