"""What a person does in the browser: the sign-in buttons, the IdP's login form, Sign out."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.sso.peers.ssp import PASSWORD

if TYPE_CHECKING:
    from tests.sso.peers.peerset import Peers

WAIT_MS = 15_000


def start_saml(page: Any, peers: Peers, idp: str) -> None:
    """From jitsuin's sign-in page to ``idp``'s login form (through the IdP choice if shown)."""
    assert offered_saml_idp(page, peers, idp), f"{idp} is not offered: {page.url}"


def offered_saml_idp(page: Any, peers: Peers, idp: str) -> bool:
    """Press the SAML button and choose ``idp`` if there is a choice; whether that led to
    ``idp``'s pages."""
    page.goto(f"{peers.base}/account/login/")
    page.get_by_role("link", name=re.compile("SAML")).click()
    page.wait_for_load_state("load")
    target = peers.idps[idp]
    if not page.url.startswith(target.base):
        # The choice page names an IdP by its metadata's display name (or its entityID).
        choice = page.get_by_text(target.display_name, exact=False)
        if choice.count() == 0:
            choice = page.get_by_text(target.entity_id, exact=False)
        if choice.count() == 0:
            return False
        choice.first.click()
        page.wait_for_url(f"{target.base}/**", timeout=WAIT_MS)
    return True


def saml_sign_in(page: Any, peers: Peers, idp: str, user: str) -> None:
    """Sign in at ``idp`` as ``user``; returns once back on jitsuin (the portal or a refusal)."""
    start_saml(page, peers, idp)
    fill_saml_login(page, user)
    page.wait_for_url(f"{peers.base}/**", timeout=WAIT_MS)
    page.wait_for_load_state("load")


def fill_saml_login(page: Any, user: str) -> None:
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.locator("button[type=submit], input[type=submit]").first.click()


def saml_login_form_shown(page: Any, peers: Peers, idp: str) -> bool:
    target = peers.idps[idp]
    return page.url.startswith(target.base) and page.locator("input[name=password]").count() == 1


def start_oidc(page: Any, peers: Peers) -> None:
    page.goto(f"{peers.base}/account/login/")
    page.get_by_role("link", name=re.compile("OpenID Connect")).click()
    page.wait_for_load_state("load")


def oidc_sign_in(page: Any, peers: Peers, login: str) -> None:
    """Sign in at the OP as ``login``; returns once back on jitsuin."""
    start_oidc(page, peers)
    if oidc_login_form_shown(page, peers):
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", "any password")
        page.locator("button[type=submit]").first.click()
    page.wait_for_url(f"{peers.base}/**", timeout=WAIT_MS)
    page.wait_for_load_state("load")


def oidc_login_form_shown(page: Any, peers: Peers) -> bool:
    return page.url.startswith(peers.op_issuer) and page.locator("input[name=login]").count() == 1


def sign_out(page: Any, peers: Peers) -> None:
    """Press Sign out on the portal and follow the IdP's round trip (confirming at the OP,
    as its page asks) until jitsuin's signed-out page."""
    page.goto(f"{peers.base}/")
    page.locator("form[action='/account/logout/'] [type=submit]").first.click()
    signed_out = f"{peers.base}/account/signed-out/"
    try:
        page.wait_for_url(
            lambda url: not url.startswith(f"{peers.base}/") or url.startswith(signed_out),
            timeout=WAIT_MS,
        )
    except PlaywrightTimeout:
        raise AssertionError(f"Sign out never left jitsuin (stayed on {page.url})") from None
    if page.url.startswith(peers.op_issuer):
        page.wait_for_load_state("load")
        confirm = page.locator("button[name=logout][value=yes]")
        assert confirm.count() == 1, f"the OP's sign-out page: {body_text(page)[:500]}"
        confirm.click()
    page.wait_for_url(f"{signed_out}**", timeout=WAIT_MS)
    page.wait_for_load_state("load")


def body_text(page: Any) -> str:
    return str(page.inner_text("body"))


def signed_in_as(page: Any, name: str, uid: str) -> bool:
    """The portal's greeting for ``name`` (``uid``) is on the page."""
    return f"Signed in as {name} ({uid})" in body_text(page)


def console_kept_closed(page: Any, peers: Peers) -> bool:
    """Opening /console/ gives this browser the sign-in page or a 403, not the console and
    not the staff second-factor step (which an account with staff rights would reach)."""
    response = page.goto(f"{peers.base}/console/")
    on_login = page.url.startswith(f"{peers.base}/account/login/")
    return on_login or (response is not None and response.status == 403)


def is_signed_out(page: Any, peers: Peers) -> bool:
    """Opening the portal sends this browser to the sign-in page."""
    page.goto(f"{peers.base}/")
    return page.url.startswith(f"{peers.base}/account/login/")
