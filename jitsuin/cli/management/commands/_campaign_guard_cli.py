"""Who acts in the guarded steps of `jitsuin campaign` (start, confirm).

Dual control on the command line: ``--as USERNAME`` names an active CA admin, audited as
``staff:USERNAME`` with the shell user alongside. It records who agreed; it does not sign
them in (docs/campaigns.md, "Guarded steps").
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from jitsuin.access.roles import CA_ADMIN, roles_of
from jitsuin.audit.actors import Actor


class GuardedActors:
    """Mixed into the campaign command, which sets ``self.actor`` (the shell user)."""

    actor: str

    def _guarded_actor(self, options: dict[str, Any], *, required: bool) -> str:
        """``--as USERNAME``: an active CA admin, audited as ``staff:USERNAME``."""
        username = options["as_user"]
        if not username:
            if required:
                raise CommandError(
                    "confirming the revocation takes two different CA admins: "
                    "name yours with --as USERNAME"
                )
            return self.actor
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or CA_ADMIN not in roles_of(user):
            raise CommandError(f"{username!r} is not an active CA admin")
        return str(Actor.staff(username))

    def _via(self, actor: str) -> str:
        """Acting ``--as`` a CA admin: the audit also names the shell user (``cli:root``)."""
        return self.actor if actor != self.actor else ""
