"""A switchover seen by a real FreeRADIUS (EAP-TLS, eapol_test) in CRL mode.

Before the deadline the pre-flight canaries from both intermediates log in and so does
everyone; after the campaign revokes the old intermediate (and RADIUS is restarted with the
new CRLs, as FreeRADIUS never reloads them by itself), the un-migrated user is refused and
the migrated user's new certificate is accepted.

The eap module is the CRL-mode one of docs/relying-parties.md (as in test_freeradius.py):
anchors = the root only, the CRL of every CA in a hashed ca_path, check_crl and check_all_crl.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from jitsuin.authorities.models import Authority, AuthorityStatus, PublishedCrl
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.authorities.services import certificate_of
from jitsuin.campaigns import periodic, preflight, services
from jitsuin.campaigns.models import CampaignState
from jitsuin.campaigns.radius import RadiusTarget, eap_tls_login
from tests.campaigns import factories as f
from tests.peers import require_tool
from tests.revocation.live import doc_block

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECRET = "testing123"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Radius:
    """A private FreeRADIUS on loopback, EAP-TLS only, trusting ``roots`` with ``crls``."""

    def __init__(self, work: Path, program: str) -> None:
        self.work = work
        self.program = program
        self.process: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-subj", "/CN=radius.test", "-days", "2",
             "-keyout", str(work / "server.key"), "-out", str(work / "server.crt")],
            check=True, capture_output=True,
        )  # fmt: skip

    def configure(self, roots: list[Authority]) -> None:
        conf = self.work / "raddb"
        if conf.exists():
            shutil.rmtree(conf)
        shutil.copytree("/etc/freeradius/3.0", conf, symlinks=True)
        hashed = self.work / "hashed"
        if hashed.exists():
            shutil.rmtree(hashed)
        hashed.mkdir()
        roots_pem = b"".join(
            certificate_of(r).public_bytes(serialization.Encoding.PEM) for r in roots
        )
        (self.work / "roots.pem").write_bytes(roots_pem)
        (hashed / "roots.pem").write_bytes(roots_pem)
        for authority in Authority.objects.all():
            crl = PublishedCrl.objects.filter(authority=authority).order_by("-number").first()
            pem = x509.load_der_x509_crl(bytes(crl.der)).public_bytes(serialization.Encoding.PEM)
            (hashed / f"{authority.slug}.crl.pem").write_bytes(pem)
        subprocess.run(["openssl", "rehash", str(hashed)], check=True, capture_output=True)
        (conf / "sites-enabled" / "default").unlink()
        (conf / "sites-enabled" / "eaptls").write_text(
            "server default {\n listen {\n  type = auth\n  ipaddr = 127.0.0.1\n"
            f"  port = {self.port}\n }}\n client localhost {{\n  ipaddr = 127.0.0.1\n"
            f"  secret = {SECRET}\n }}\n authorize {{\n  eap {{\n   ok = return\n  }}\n }}\n"
            " authenticate {\n  eap\n }\n post-auth {\n }\n}\n"
        )
        (conf / "sites-enabled" / "inner-tunnel").unlink(missing_ok=True)
        radiusd = conf / "radiusd.conf"
        text = re.sub(r"(?m)^(\s*)(user|group) = freerad", r"\1#\2 = freerad", radiusd.read_text())
        radiusd.write_text(text)
        # The eap module as docs/relying-parties.md gives it for CRL mode, paths changed.
        (conf / "mods-available" / "eap").write_text(
            doc_block("freeradius-eap-crl")
            .replace("/etc/freeradius/3.0/certs/server.key", str(self.work / "server.key"))
            .replace("/etc/freeradius/3.0/certs/server.pem", str(self.work / "server.crt"))
            .replace("/etc/jitsuin", str(self.work))
        )

    def start(self) -> None:
        self.stop()
        log = (self.work / "radius.log").open("wb")
        self.process = subprocess.Popen(
            [self.program, "-X", "-d", str(self.work / "raddb")], stdout=log, stderr=log
        )
        for _ in range(100):
            if b"Ready to process requests" in (self.work / "radius.log").read_bytes():
                return
            time.sleep(0.1)
        raise AssertionError((self.work / "radius.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def target(self) -> RadiusTarget:
        return RadiusTarget("127.0.0.1", self.port, SECRET)


@pytest.fixture
def radius(tmp_path):
    program = require_tool("freeradius")
    require_tool("eapol_test")
    require_tool("openssl")
    server = Radius(tmp_path, program)
    yield server
    server.stop()


def login(radius: Radius, holder: f.RealCertificate) -> bool:
    result = eap_tls_login(
        radius.target, identity=holder.row.person.uid, chain_pem=holder.chain_pem, key=holder.key
    )
    return result.accepted


def test_radius_refuses_the_unmigrated_and_accepts_the_migrated_after_the_deadline(
    radius, monkeypatch
):
    scene = f.scene()
    now = timezone.now()
    alice, bob = f.people(2)
    profile = scene.profiles["overlap"]
    alice_old = f.real_certificate(alice, scene.old, profile, at=now - timedelta(days=1))
    bob_old = f.real_certificate(bob, scene.old, profile, at=now - timedelta(days=1))
    for authority in (scene.root, scene.old, scene.new):
        publish_crl(authority, now=now)
    radius.configure([scene.root])
    radius.start()
    monkeypatch.setattr(preflight, "radius_target", lambda: radius.target)

    deadline = now + timedelta(seconds=40)
    campaign = services.create_campaign(
        "radius", old=[scene.old.name], new=scene.new.name, cutoff=now - timedelta(minutes=1),
        deadline=deadline, actor="test", now=now,
        reminder_days=[], summary_lead=timedelta(seconds=10),  # a 40-second campaign
    )  # fmt: skip
    campaign = services.start(campaign, actor="test")
    checks = {c["name"]: c for c in campaign.preflight}
    assert checks["radius_new_canary"]["passed"], checks["radius_new_canary"]["reason"]
    assert checks["radius_old_canary"]["passed"], checks["radius_old_canary"]["reason"]
    assert login(radius, alice_old) and login(radius, bob_old)

    bob_new = f.real_certificate(bob, scene.new, profile, at=timezone.now())
    assert login(radius, bob_new)
    services.prepare_summary(campaign, actor="test")
    services.confirm(campaign, actor="user:ca")
    services.confirm(campaign, actor="user:ca2")

    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()) + 1)
    periodic.tick(timezone.now())
    campaign.refresh_from_db()
    scene.old.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    assert scene.old.status == AuthorityStatus.REVOKED
    publish_crl(scene.root)  # the root's CRL now lists the old intermediate
    radius.configure([scene.root])
    radius.start()  # FreeRADIUS reads CRLs only at start

    assert not login(radius, alice_old), "a certificate under the revoked intermediate got in"
    assert login(radius, bob_new), "the migrated user's new certificate was refused"
    after = services.run_preflight(campaign, actor="test")
    assert {c.name: c.passed for c in after}["radius_new_canary"]
