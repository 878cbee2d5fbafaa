"""The relying-party agent feeding a real FreeRADIUS in CRL mode: its ca_path is written by
`jitsuin relying-party sync` (not the shell script), a revocation in jitsuin reaches it with
one agent run and the reload command, and the revoke -> reject time is measured; when jitsuin
is down or serves a CRL with a bad signature, the agent keeps the last good set, says so, and
FreeRADIUS goes on refusing the revoked and accepting the valid."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jitsuin.authorities.publishing import crl as publishing
from tests.agent.server import FakeJitsuin
from tests.interop.radius import eap_module, eap_tls, start_radius
from tests.revocation.factories import issue, revoke, revoke_as_the_portal_does
from tests.revocation.live import CLIENTS, live, only_fresh_accepted  # noqa: F401 (fixture)

pytestmark = pytest.mark.peers


def agent(live, target: Path, *extra: str) -> subprocess.CompletedProcess[str]:  # noqa: F811
    """One run of the agent on this "RADIUS host", pinned to the roots jitsuin had at set-up."""
    pinned = live.dir / "pinned-roots.pem"
    if not pinned.exists():  # out of band in real life; read once here, then pinned
        pinned.write_bytes(live.get("/ca/roots.pem"))
    command = [sys.executable, "-m", "jitsuin", "relying-party", "sync", "--url", live.url]
    command += ["--roots", str(pinned), "--dir", str(target), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def radius(live, target: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    eap = eap_module("crl", certs=live.dir, jitsuin=target, url=live.url)
    return start_radius(live.dir / "radius-agent", eap=eap)


def test_the_agent_feeds_freeradius_and_a_revocation_reaches_it(live):  # noqa: F811
    target = live.dir / "jitsuin-agent"
    with live.db():
        holder = issue(live.pki.current, uid="agent-holder")
    (live.dir / "holder.chain.pem").write_bytes(holder.chain_pem)
    (live.dir / "holder.key").write_bytes(holder.key_pem)

    first = agent(live, target)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("loaded CRL") == 3  # root, current and old issuing CAs
    again = agent(live, target, "--reload-command", "false")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")  # 304s, no reload

    server = radius(live, target)
    try:
        expected = only_fresh_accepted("SUCCESS", "FAILURE")
        assert {c: eap_tls(live, server.port, c) for c in CLIENTS} == expected
        assert eap_tls(live, server.port, "holder") == "SUCCESS"

        started = time.monotonic()
        with live.db():
            revoke(holder, reason="keyCompromise")
            # What the worker does JITSUIN_CRL_DEBOUNCE (10 s) after a revocation.
            publishing.publish_crl(live.pki.current)
        # The reload command: FreeRADIUS reads CRLs at start; this test's radiusd is a child
        # process, so "restart" is stop here and start again below.
        synced = agent(live, target, "--reload-command", f"kill -TERM {server.process.pid}")
        assert synced.returncode == 0, synced.stderr
        assert f"of {live.pki.current.name} (was " in synced.stdout
        assert "reloaded: kill" in synced.stdout
        server.process.wait(timeout=10)
        server.log.close()
        server = radius(live, target)
        assert eap_tls(live, server.port, "holder") == "FAILURE"
        seconds = time.monotonic() - started
        print(f"\nrevoke -> reject (CRL mode, agent one shot + restart): {seconds:.1f} s")
        assert eap_tls(live, server.port, "fresh") == "SUCCESS"
    finally:
        server.stop()


def test_the_agent_every_5_seconds_restarts_freeradius_after_a_revocation(live):  # noqa: F811
    target = live.dir / "jitsuin-agent-loop"
    with live.db():
        holder = issue(live.pki.current, uid="loop-holder")
    (live.dir / "loop.chain.pem").write_bytes(holder.chain_pem)
    (live.dir / "loop.key").write_bytes(holder.key_pem)
    assert agent(live, target).returncode == 0
    pidfile = live.dir / "radius-loop.pid"
    eap = eap_module("crl", certs=live.dir, jitsuin=target, url=live.url)
    server = start_radius(live.dir / "radius-loop", eap=eap)
    pidfile.write_text(str(server.process.pid))
    pinned = live.dir / "pinned-roots.pem"
    command = [sys.executable, "-m", "jitsuin", "relying-party", "sync", "--url", live.url]
    command += ["--roots", str(pinned), "--dir", str(target), "--interval", "5"]
    command += ["--reload-command", f"sh -c 'kill -TERM $(cat {pidfile})'"]
    looping = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert eap_tls(live, server.port, "loop") == "SUCCESS"
        time.sleep(2)  # past the agent's first pass: the revocation waits for its next one
        started = time.monotonic()
        with live.db():
            revoke_as_the_portal_does(holder)  # request_revoke, then the worker's processing
            # What the worker does JITSUIN_CRL_DEBOUNCE (10 s) after a revocation.
            publishing.publish_crl(live.pki.current)
        server.process.wait(timeout=30)  # the agent's reload command stopped it
        server.log.close()
        server = start_radius(live.dir / "radius-loop", eap=eap)  # what systemd restarts
        pidfile.write_text(str(server.process.pid))
        assert eap_tls(live, server.port, "loop") == "FAILURE"
        seconds = time.monotonic() - started
        print(f"\nrevoke -> reject (CRL mode, agent --interval 5 + restart): {seconds:.1f} s")
        assert seconds < 30
    finally:
        looping.terminate()
        out, err = looping.communicate(timeout=10)
        server.stop()
    assert f"of {live.pki.current.name} (was " in out and "reloaded: sh -c" in out, out + err
    assert err == ""


def test_jitsuin_answering_garbage_keeps_freeradius_set(live, tmp_path):  # noqa: F811
    target = tmp_path / "jitsuin-agent"
    assert agent(live, target).returncode == 0
    before = (target / "crls.pem").read_bytes()
    pinned = live.dir / "pinned-roots.pem"
    other = tmp_path / "other-root.pem"
    other.write_bytes(live.get(f"/ca/{live.pki.old.slug}.pem"))  # an intermediate, not a root
    command = [sys.executable, "-m", "jitsuin", "relying-party", "sync", "--url", live.url]
    result = subprocess.run(
        [*command, "--roots", str(other), "--dir", str(target)], capture_output=True, text=True
    )
    assert result.returncode == 1 and "is not self-signed" in result.stderr
    down = agent(live, target, "--url", "http://127.0.0.1:9")
    assert down.returncode == 1 and "kept the last good set" in down.stderr
    assert (target / "crls.pem").read_bytes() == before
    assert pinned.exists()


def _tampered(bundle: bytes, issuer: str) -> bytes:
    """``bundle`` (PEM CRLs) with the signature of ``issuer``'s CRL changed in its last byte."""
    marker = b"-----BEGIN X509 CRL-----"
    out = b""
    for part in bundle.split(marker)[1:]:
        crl = x509.load_pem_x509_crl(marker + part)
        der = bytearray(crl.public_bytes(Encoding.DER))
        common_name = crl.issuer.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
        if common_name == issuer:
            der[-1] ^= 0x01  # the last byte of the signature value
        out += x509.load_der_x509_crl(bytes(der)).public_bytes(Encoding.PEM)
    assert out != bundle
    return out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _directory(target: Path) -> dict[str, bytes]:
    return {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()}


def test_a_bad_signature_or_jitsuin_down_keeps_freeradius_refusing_the_revoked(
    live,  # noqa: F811
    tmp_path,
):
    target = tmp_path / "jitsuin-agent-kept"
    assert agent(live, target).returncode == 0
    good = {k: v for k, v in _directory(target).items() if k != "agent.json"}
    eap = eap_module("crl", certs=live.dir, jitsuin=target, url=live.url)
    expected = only_fresh_accepted("SUCCESS", "FAILURE")
    server = start_radius(tmp_path / "radius-kept", eap=eap)
    try:
        assert {c: eap_tls(live, server.port, c) for c in CLIENTS} == expected

        marker = tmp_path / "reloaded"
        reload = ["--reload-command", f"touch {marker}"]
        # A tiny HTTP server answering jitsuin's CA bundle and its CRL bundle with the
        # signature of the issuing CA's CRL (the one that lists "revoked") tampered.
        impostor = FakeJitsuin()
        try:
            impostor.published.bodies = {
                "/ca/bundle.pem": live.get("/ca/bundle.pem"),
                "/crl/bundle.pem": _tampered(live.get("/crl/bundle.pem"), live.pki.current.name),
            }
            bad = agent(live, target, "--url", impostor.url, *reload)
        finally:
            impostor.stop()
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert bad.stdout == ""
        assert (
            f"kept the last good set: the CRL of {live.pki.current.name} is not signed by a CA "
            "under the pinned roots"
        ) in bad.stderr, bad.stderr
        print(f"\nbad signature: {bad.stderr.strip()}")

        down = agent(live, target, "--url", f"http://127.0.0.1:{_closed_port()}", *reload)
        assert down.returncode == 1 and down.stdout == ""
        assert "kept the last good set: " in down.stderr and "refused" in down.stderr, down.stderr
        print(f"jitsuin down: {down.stderr.strip()}")

        assert not marker.exists(), "the agent ran the reload command without a new good set"
        assert {k: v for k, v in _directory(target).items() if k != "agent.json"} == good
        # What FreeRADIUS reads after any restart (a reboot, a package upgrade) is the kept set.
        server.stop()
        server = start_radius(tmp_path / "radius-kept", eap=eap)
        assert {c: eap_tls(live, server.port, c) for c in CLIENTS} == expected
    finally:
        server.stop()
    back = agent(live, target, *reload)  # jitsuin answers again: nothing changed, no reload
    assert (back.returncode, back.stdout, back.stderr) == (0, "", ""), back.stderr
    assert not marker.exists()
