"""Who did something, as the audit log and the rows that keep an actor name it.

One value type instead of strings built in several places: ``str(actor)`` is the stored form
(``user:alice``, ``staff:bob``, ``cli``, ``cli:root``, ``system``, ``system:worker``,
``campaign:g1-to-g2``, ``token:radius``) and :meth:`Actor.parse` reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass

USER = "user"  # a person in the portal, by uid
STAFF = "staff"  # a staff member in the console, by username
CLI = "cli"  # the command line, by operating-system user when known
SYSTEM = "system"  # jitsuin itself: the worker, the scheduler, a periodic job
CAMPAIGN = "campaign"  # mail sent on behalf of a switchover campaign, by its name
TOKEN = "token"  # noqa: S105  (a JSON API client, by its API token's name)
KINDS = frozenset({USER, STAFF, CLI, SYSTEM, CAMPAIGN, TOKEN})
# Kinds that always name someone (or something); cli and system may stand alone.
NAMED = frozenset({USER, STAFF, CAMPAIGN, TOKEN})


@dataclass(frozen=True)
class Actor:
    kind: str
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown actor kind {self.kind!r}: one of {', '.join(sorted(KINDS))}")
        if self.kind in NAMED and not self.name:
            raise ValueError(f"a {self.kind} actor needs a name")

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind

    @classmethod
    def user(cls, uid: str) -> Actor:
        return cls(USER, uid)

    @classmethod
    def staff(cls, username: str) -> Actor:
        return cls(STAFF, username)

    @classmethod
    def cli(cls, os_user: str = "") -> Actor:
        return cls(CLI, os_user)

    @classmethod
    def system(cls, detail: str = "") -> Actor:
        return cls(SYSTEM, detail)

    @classmethod
    def campaign(cls, name: str) -> Actor:
        return cls(CAMPAIGN, name)

    @classmethod
    def token(cls, name: str) -> Actor:
        return cls(TOKEN, name)

    @classmethod
    def parse(cls, text: str) -> Actor:
        """The actor a stored string names; ValueError for one no constructor makes."""
        kind, _, name = text.partition(":")
        return cls(kind, name)
