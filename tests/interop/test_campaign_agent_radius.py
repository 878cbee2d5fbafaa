"""An intermediate revoked by a campaign's deadline, reaching a real FreeRADIUS through the
relying-party agent (`jitsuin relying-party sync --interval 5`), with the time measured.

jitsuin is served on loopback; the agent fetches its CA and CRL bundles and its reload command
stops radiusd, which the test starts again (what systemd's restart does). The campaign runs on
the wall clock with a deadline 20 s ahead: started with its pre-flight canaries logging in to
this FreeRADIUS, summarised and confirmed by two CA admins; at the deadline the campaigns'
periodic job (``periodic.tick``) revokes the old intermediate and the worker's publication job
(``publish_due``: due at once, the deadline withdraws the announcement) signs the root CRL
that lists it. Measured: from that tick to the first eapol_test refused for a certificate under
the old intermediate (a certificate from the new one is still accepted).

Between the deadline and the new root CRL, a certificate from the new intermediate still logs
in: the root CRL signed while the revocation was announced expires 15 minutes after the
deadline (docs/campaigns.md, "The deadline"). When it expired at the deadline itself, this
FreeRADIUS (check_all_crl, no allow_expired_crl) refused everyone under the root until the
agent loaded the next root CRL.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from jitsuin.authorities.models import AuthorityStatus
from jitsuin.authorities.publishing.crl import publish_crl, publish_due
from jitsuin.authorities.services import certificate_of
from jitsuin.campaigns import periodic, preflight, services
from jitsuin.campaigns.models import CampaignState
from jitsuin.campaigns.radius import RadiusTarget
from tests.campaigns import factories as f
from tests.interop.radiusd import RadiusServer, configure, eap_module, eapol, run
from tests.peers import require_tool
from tests.revocation.site import serve, server_cert

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

INTERVAL = 5  # the agent's --interval (issue 21: "the agent running at a 5 s interval")
LEAD = timedelta(seconds=20)  # from creating the campaign to its deadline


def _save(directory: Path, name: str, holder: f.RealCertificate) -> None:
    (directory / f"{name}.chain.pem").write_bytes(holder.chain_pem)
    (directory / f"{name}.key").write_bytes(
        holder.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _agent(url: str, pinned: Path, target: Path, *extra: str) -> list[str]:
    command = [sys.executable, "-m", "jitsuin", "relying-party", "sync", "--url", url]
    return [*command, "--roots", str(pinned), "--dir", str(target), *extra]


def test_a_campaign_deadline_reaches_freeradius_through_the_agent(tmp_path, monkeypatch):
    program = require_tool("freeradius")
    require_tool("eapol_test")
    require_tool("openssl")
    server_cert(tmp_path)
    scene = f.scene()
    now = timezone.now()
    alice, bob = f.people(2)
    profile = scene.profiles["overlap"]
    _save(tmp_path, "alice-old", f.real_certificate(alice, scene.old, profile, at=now))
    for authority in (scene.root, scene.old, scene.new):
        publish_crl(authority, now=now)

    served = serve()
    pinned = tmp_path / "pinned-roots.pem"  # out of band in real life
    pinned.write_bytes(certificate_of(scene.root).public_bytes(serialization.Encoding.PEM))
    target = tmp_path / "jitsuin"

    def sync_once() -> None:
        once = subprocess.run(_agent(served.url, pinned, target), capture_output=True, text=True)
        assert once.returncode == 0, once.stderr

    sync_once()
    conf = tmp_path / "raddb"
    port = configure(conf, eap=eap_module("crl", certs=tmp_path, jitsuin=target, url=served.url))
    radius: RadiusServer = run(program, conf, port)
    pidfile = tmp_path / "radiusd.pid"
    looping: subprocess.Popen[str] | None = None
    try:
        monkeypatch.setattr(
            preflight, "radius_target", lambda: RadiusTarget("127.0.0.1", port, "testing123")
        )
        campaign = services.create_campaign(
            "agent-radius", old=[scene.old.name], new=scene.new.name,
            cutoff=now - timedelta(minutes=1), deadline=now + LEAD, actor="test", now=now,
            reminder_days=[], summary_lead=timedelta(seconds=5),
        )  # fmt: skip
        campaign = services.start(campaign, actor="test")  # the canaries log in here
        _save(tmp_path, "bob-new", f.real_certificate(bob, scene.new, profile, at=timezone.now()))
        assert eapol(tmp_path, port, "alice-old") == "SUCCESS"
        assert eapol(tmp_path, port, "bob-new") == "SUCCESS"
        services.prepare_summary(campaign, actor="test")
        services.confirm(campaign, actor="user:ca")
        services.confirm(campaign, actor="user:ca2")

        # The root CRL re-signed at start (announcing the deadline) reaches FreeRADIUS.
        assert publish_due(), "the announcement scheduled no CRL"
        sync_once()
        radius.stop()
        radius = run(program, conf, port)
        pidfile.write_text(str(radius.process.pid))
        reload = f"sh -c 'kill -TERM $(cat {pidfile})'"
        looping = subprocess.Popen(
            _agent(served.url, pinned, target, "--interval", str(INTERVAL), "--reload-command",
                   reload),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(max(2.0, (campaign.deadline - timezone.now()).total_seconds() + 0.5))
        assert radius.process.poll() is None, "the agent restarted FreeRADIUS before the deadline"
        # Past the deadline, before the periodic job: the root CRL FreeRADIUS holds is still
        # valid (15 minutes past the deadline), so nobody is refused for an expired CRL.
        assert eapol(tmp_path, port, "bob-new") == "SUCCESS"
        assert "CRL has expired" not in radius.log_path.read_text()

        started = time.monotonic()
        periodic.tick(timezone.now())  # the campaigns' periodic job at the deadline
        published = publish_due()  # the worker's publication job: the root CRL, due at once
        campaign.refresh_from_db()
        scene.old.refresh_from_db()
        assert campaign.state == CampaignState.COMPLETED
        assert scene.old.status == AuthorityStatus.REVOKED
        assert [p.authority_id for p in published] == [scene.root.pk]
        radius.process.wait(timeout=30)  # the agent's reload command stopped it
        radius.log.close()
        radius = run(program, conf, port)  # what systemd's restart does
        pidfile.write_text(str(radius.process.pid))
        assert eapol(tmp_path, port, "alice-old") == "FAILURE"
        seconds = time.monotonic() - started
        print(
            f"\ncampaign deadline -> reject of a certificate under the revoked intermediate "
            f"(CRL mode, agent --interval {INTERVAL} + restart): {seconds:.1f} s"
        )
        assert seconds < 30
        assert eapol(tmp_path, port, "bob-new") == "SUCCESS"
    finally:
        if looping is not None:
            looping.terminate()
            out, err = looping.communicate(timeout=10)
        radius.stop()
        served.stop()
    assert f"of {scene.root.name} (was " in out and "reloaded: sh -c" in out, out + err
