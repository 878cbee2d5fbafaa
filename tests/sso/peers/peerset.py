"""The running peers as the walks see them (built by conftest's ``peers`` fixture)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.sso.peers.federation import MetadataServer
from tests.sso.peers.site import Site
from tests.sso.peers.ssp import SamlIdp
from tests.sso.peers.tamper import TamperProxy

# jitsuin's local break-glass superuser (a password account), made before anyone signs in.
SUPERUSER = "breakglass"

# The directory before anyone signs in: uid -> (e-mail, name).
DIRECTORY = {
    "s2310001": ("s2310001@example.ac.jp", "Taro Yamada"),
    "s2310002@example.ac.jp": ("s2310002@example.ac.jp", "Taro Yamada"),
    "s2310002@shib-u.ac.jp": ("s2310002@shib-u.ac.jp", "Taro Yamada"),
}


@dataclass
class Peers:
    """jitsuin's public URL and site, the IdPs, the OP and its tamper proxy, the browser."""

    base: str
    site: Site
    idps: dict[str, SamlIdp]
    op_issuer: str
    tamper: TamperProxy
    metadata: MetadataServer
    browser: Any
    shots: Path
    contexts: list[Any] = field(default_factory=list)

    def __repr__(self) -> str:  # short, for assertion messages
        return f"Peers({self.base})"

    def new_page(self, locale: str = "en-US") -> Any:
        """A page in a browser context of its own: no cookies, so no jitsuin or IdP session."""
        context = self.browser.new_context(
            locale=locale, ignore_https_errors=True, viewport={"width": 1000, "height": 800}
        )
        # The OP's own pages @import a web font; nothing is fetched from outside.
        context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
        self.contexts.append(context)
        return context.new_page()

    def close_pages(self) -> None:
        while self.contexts:
            self.contexts.pop().close()

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def audit(self, action: str) -> list[dict[str, Any]]:
        """The audit events named ``action``, oldest first: their actor and data."""
        rows = self.site.query(
            "SELECT actor, data FROM audit_auditevent WHERE action = %s ORDER BY id", action
        )
        return [{"actor": actor, **(data or {})} for actor, data in rows]

    def person(self, uid: str) -> dict[str, Any] | None:
        """The directory entry ``uid`` and the Django user it is linked to, if any."""
        rows = self.site.query(
            "SELECT p.uid, p.email, p.name_ja, p.name_en, p.affiliation, u.username "
            "FROM lifecycle_person p LEFT JOIN auth_user u ON u.id = p.user_id WHERE p.uid = %s",
            uid,
        )
        if not rows:
            return None
        keys = ("uid", "email", "name_ja", "name_en", "affiliation", "username")
        return dict(zip(keys, rows[0], strict=True))

    def identity_owner(self, issuer: str, subject: str) -> str | None:
        """The username bound to the SSO identity (issuer, subject), or None when unbound."""
        rows = self.site.query(
            "SELECT u.username FROM sso_ssoidentity i JOIN auth_user u ON u.id = i.user_id "
            "WHERE i.issuer = %s AND i.subject = %s",
            issuer,
            subject,
        )
        return str(rows[0][0]) if rows else None

    def refusals(self, issuer: str) -> list[dict[str, Any]]:
        """The ``access.sso_refused`` events for ``issuer``."""
        return [e for e in self.audit("access.sso_refused") if e.get("issuer") == issuer]

    def last_login(self, username: str) -> Any:
        rows = self.site.query("SELECT last_login FROM auth_user WHERE username = %s", username)
        return rows[0][0] if rows else None
