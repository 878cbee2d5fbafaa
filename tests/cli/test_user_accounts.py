"""`jitsuin user grant|withdraw|link-sso|show`: roles and SSO bindings by explicit decision."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from jitsuin.access.roles import roles_of
from jitsuin.audit.models import AuditEvent
from jitsuin.sso.models import SsoIdentity

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("user", *args, stdout=out)
    return out.getvalue()


def test_a_role_is_granted_and_withdrawn_explicitly_and_audited():
    user = get_user_model().objects.create_user("s2310001@example.ac.jp")
    assert "granted" in run("grant", "s2310001@example.ac.jp", "helpdesk")
    assert "no change" in run("grant", "s2310001@example.ac.jp", "helpdesk")
    assert roles_of(user) == {"helpdesk"}
    assert "withdrawn" in run("withdraw", "s2310001@example.ac.jp", "helpdesk")
    assert roles_of(user) == set()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"access.role_granted", "access.role_withdrawn"} <= actions


def test_an_unknown_account_or_role_is_a_clear_error():
    with pytest.raises(CommandError, match="no account 'nobody'"):
        run("grant", "nobody", "helpdesk")
    with pytest.raises(CommandError):
        run("grant", "nobody", "superhero")


def test_link_sso_binds_an_identity_once_and_show_lists_it():
    get_user_model().objects.create_user("t0042")
    run("link-sso", "t0042", "--method", "oidc", "--issuer", "https://op", "--subject", "sub-9")
    assert SsoIdentity.objects.get().user.get_username() == "t0042"
    with pytest.raises(CommandError, match="exists"):
        run("link-sso", "t0042", "--method", "oidc", "--issuer", "https://op", "--subject", "sub-9")
    shown = run("show", "t0042")
    assert "sso: oidc sub-9 @ https://op" in shown
    assert "local password: no" in shown
