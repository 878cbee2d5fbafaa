import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jitsuin.access.models import ApiToken
from jitsuin.access.tokens import authenticate

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_only_the_token_on_stdout_then_list_and_revoke():
    out, err = run("create", "radius-1", "--scope", "sightings:write", "--expires", "90d")
    raw = out.strip()
    assert raw.startswith("jt_") and "\n" not in raw
    assert "not shown again" in err and raw not in err
    assert authenticate(raw).name == "radius-1"
    listing, _ = run("list")
    assert "radius-1" in listing and "sightings:write" in listing and "active" in listing
    assert raw not in listing and ApiToken.objects.get().prefix in listing
    assert run("revoke", "radius-1")[0].strip() == "revoked radius-1"
    assert "revoked" in run("list")[0].splitlines()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "x", "--scope", "everything"), "unknown scope everything"),
        (("create", "x"), "at least one scope"),
        (("create", "x", "--scope", "scim", "--expires", "soon"), "not a duration"),
        (("revoke", "ghost"), "no token named 'ghost'"),
    ],
)
def test_mistakes_are_one_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_duplicate_name_is_refused():
    run("create", "dup", "--scope", "scim")
    with pytest.raises(CommandError, match="exists already"):
        run("create", "dup", "--scope", "scim")


def test_help_names_the_scopes():
    out = subprocess.run(
        [sys.executable, "-m", "jitsuin", "token", "create", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--scope" in out.stdout and "certificates:revoke" in out.stdout
