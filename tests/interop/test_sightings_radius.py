"""FreeRADIUS 3.2 reports each EAP-TLS login to jitsuin with the rlm_rest configuration of
docs/relying-parties.md, as written (URL, paths and token changed): a real eapol_test login
makes exactly one sighting; a refused login is reported as refused; a token without
``sightings:write`` is refused by jitsuin, and jitsuin not answering at all, while the login
itself is still accepted."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from jitsuin.access.tokens import create_token
from jitsuin.sightings.models import Sighting
from tests.peers import require_tool
from tests.revocation.live import doc_block, live  # noqa: F401 (fixture)

pytestmark = pytest.mark.peers

DOC_URL = "https://pki.example.ac.jp"
DOC_TOKEN = "jt_PUT_THE_TOKEN_HERE"  # noqa: S105 (the placeholder the page shows)
# A quote, a backslash and UTF-8: rlm_rest must escape them into the documented JSON body.
NAS = 'AP "library" 3F\\north \u00e9'

SITE = """server default {{
  listen {{
    type = auth
    ipaddr = 127.0.0.1
    port = {port}
  }}
  client localhost {{
    ipaddr = 127.0.0.1
    secret = testing123
  }}
  authorize {{
    eap {{
      ok = return
    }}
  }}
  authenticate {{
    eap
  }}
{post_auth}
}}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Radius:
    def __init__(self, live, name: str, token: str, url: str = "") -> None:  # noqa: F811
        program = require_tool("freeradius")
        require_tool("eapol_test")
        if not Path("/usr/lib/freeradius/rlm_rest.so").exists():
            require_tool("rlm_rest (Debian package freeradius-rest)")
        synced = live.sync(live.dir / f"jitsuin-{name}")
        self.conf = conf = live.dir / f"radius-{name}"
        shutil.copytree("/etc/freeradius/3.0", conf, symlinks=True)
        eap = (
            doc_block("freeradius-eap-crl")
            .replace("/etc/freeradius/3.0/certs/server.key", str(live.dir / "server.key"))
            .replace("/etc/freeradius/3.0/certs/server.pem", str(live.dir / "server.pem"))
            .replace("/etc/jitsuin", str(synced))
        )
        (conf / "mods-available" / "eap").write_text(eap)
        module = doc_block("freeradius-sightings-module").replace(DOC_URL, url or live.url)
        (conf / "mods-available" / "jitsuin").write_text(module)
        (conf / "mods-enabled" / "jitsuin").symlink_to("../mods-available/jitsuin")
        policy = doc_block("freeradius-sightings-policy").replace(DOC_TOKEN, token)
        (conf / "policy.d" / "jitsuin").write_text(policy)
        for site in ("default", "inner-tunnel"):
            (conf / "sites-enabled" / site).unlink(missing_ok=True)
        self.port = _free_port()
        post_auth = doc_block("freeradius-sightings-site")
        (conf / "sites-enabled" / "eaptls").write_text(
            SITE.format(port=self.port, post_auth=post_auth)
        )
        radiusd = (conf / "radiusd.conf").read_text()
        radiusd = radiusd.replace("\tuser = freerad", "\t#user = freerad").replace(
            "\tgroup = freerad", "\t#group = freerad"
        )
        (conf / "radiusd.conf").write_text(radiusd)
        self.log_path = conf / "radius.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [program, "-X", "-d", str(conf)], stdout=self.log, stderr=subprocess.STDOUT
        )
        for _ in range(100):
            if "Ready to process requests" in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        pytest.fail("radiusd did not start:\n" + self.log_path.read_text()[-3000:])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()

    def login(self, live, client: str) -> str:  # noqa: F811
        """One EAP-TLS login by eapol_test from NAS ``NAS``: SUCCESS or FAILURE."""
        config = live.dir / f"{client}.{self.port}.eapol.conf"
        config.write_text(
            "network={\n  key_mgmt=WPA-EAP\n  eap=TLS\n"
            f'  identity="{client}@example.ac.jp"\n'
            f'  ca_cert="{live.dir / "server-ca.pem"}"\n'
            f'  client_cert="{live.dir / f"{client}.chain.pem"}"\n'
            f'  private_key="{live.dir / f"{client}.key"}"\n'
            "  eapol_flags=0\n}\n"
        )
        result = subprocess.run(
            [
                "eapol_test",
                "-c",
                str(config),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-s",
                "testing123",
                "-t",
                "10",
                f"-N32:s:{NAS}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def tokens(live):  # noqa: F811
    with live.db():
        writer, _ = create_token("radius-1", ["sightings:write"], actor="test")
        reader, _ = create_token("radius-wrong", ["certificates:read"], actor="test")
    return {"writer": writer, "reader": reader}


@pytest.fixture(scope="module")
def radius(live, tokens):  # noqa: F811
    server = Radius(live, "sightings", tokens["writer"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def radius_wrong_token(live, tokens):  # noqa: F811
    server = Radius(live, "wrong-token", tokens["reader"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def radius_without_jitsuin(live, tokens):  # noqa: F811
    """A RADIUS server whose jitsuin URL answers nothing (a port no one listens on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}"
    server = Radius(live, "no-jitsuin", tokens["writer"], url=nowhere)
    yield server
    server.stop()


def _sightings(live, client: str) -> list[Sighting]:  # noqa: F811
    with live.db():
        return list(Sighting.objects.filter(certificate_id=live.clients[client].row.pk))


def test_an_accepted_login_makes_exactly_one_sighting(live, radius):  # noqa: F811
    assert _sightings(live, "fresh") == []
    assert radius.login(live, "fresh") == "SUCCESS"
    (sighting,) = _sightings(live, "fresh")
    assert (sighting.token_name, sighting.nas_identifier, sighting.nas_ip) == (
        "radius-1",
        NAS,
        "127.0.0.1",
    )
    assert (sighting.accept_count, sighting.reject_count, sighting.last_result) == (1, 0, "accept")


def test_a_refused_login_is_reported_as_refused(live, radius):  # noqa: F811
    assert radius.login(live, "revoked") == "FAILURE"
    (sighting,) = _sightings(live, "revoked")
    assert (sighting.accept_count, sighting.reject_count, sighting.last_result) == (0, 1, "reject")


def test_a_token_without_the_scope_is_refused_and_the_login_still_accepted(
    live,  # noqa: F811
    radius_wrong_token,
):
    before = len(_sightings(live, "fresh"))
    assert radius_wrong_token.login(live, "fresh") == "SUCCESS"
    assert len(_sightings(live, "fresh")) == before
    log = radius_wrong_token.log_path.read_text()
    assert 'REST-HTTP-Status-Code = "403"' in log and "Sent Access-Accept" in log, log[-3000:]


def test_jitsuin_down_does_not_block_a_login(live, radius_without_jitsuin):  # noqa: F811
    assert radius_without_jitsuin.login(live, "fresh") == "SUCCESS"
    log = radius_without_jitsuin.log_path.read_text()
    assert "[jitsuin_sightings] = fail" in log and "Sent Access-Accept" in log, log[-3000:]
