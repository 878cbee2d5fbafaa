"""The agent reporting to a real jitsuin over HTTP: the report lands as the host's row, the
console and the state say which CRLs it holds, a new CRL it has not loaded shows as behind,
and a wrong token fails the run with jitsuin's error code while the directory stays."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from jitsuin.access.tokens import create_token
from jitsuin.authorities.models import RelyingParty
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing import relying_parties as parties
from tests.revocation.live import live  # noqa: F401 (fixture)


def agent(live, target: Path, token_file: Path, *extra: str):  # type: ignore[no-untyped-def]  # noqa: F811
    pinned = live.dir / "pinned-roots.pem"
    if not pinned.exists():
        pinned.write_bytes(live.get("/ca/roots.pem"))
    command = [sys.executable, "-m", "jitsuin", "relying-party", "sync", "--url", live.url]
    command += ["--roots", str(pinned), "--dir", str(target)]
    command += ["--report-token-file", str(token_file), "--name", "radius1.example.ac.jp", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_the_agent_reports_what_it_loaded_to_jitsuin(live, tmp_path):  # noqa: F811
    with live.db():
        raw, _ = create_token("radius-agent", ["relying-party"], actor="test")
    token_file = tmp_path / "report-token"
    token_file.write_text(raw + "\n")
    target = tmp_path / "jitsuin"

    first = agent(live, target, token_file)
    assert first.returncode == 0, first.stderr
    with live.db():
        party = RelyingParty.objects.get(name="radius1.example.ac.jp")
        assert party.token_name == "radius-agent" and party.last_error == ""
        state = parties.state_of(party, parties.Published.now(), now=timezone.now())
        assert state.ok and not state.unknown
        assert {c.authority.name for c in state.crls if c.loaded} == {
            live.pki.root.name,
            live.pki.current.name,
            live.pki.old.name,
        }
        newer = publishing.publish_crl(live.pki.current)
        later = timezone.now() + timedelta(minutes=31)
        state = parties.state_of(party, parties.Published.now(), now=later)
        behind = [c for c in state.crls if c.behind]
        assert [(c.authority.name, c.published.number) for c in behind] == [
            (live.pki.current.name, newer.number)
        ]

    again = agent(live, target, token_file)
    assert again.returncode == 0, again.stderr
    assert f"of {live.pki.current.name} (was " in again.stdout
    with live.db():
        party.refresh_from_db()
        held = {c["issuer"]: int(c["number"]) for c in party.loaded}
        assert newer.number in held.values()

    token_file.write_text("jt_not-a-token\n")
    refused = agent(live, target, token_file)
    assert refused.returncode == 1
    assert "report to jitsuin failed" in refused.stderr and "HTTP 401" in refused.stderr
    assert (target / "crls.pem").exists()  # the directory is the agent's, not the report's
