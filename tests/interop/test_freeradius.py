"""FreeRADIUS 3.2 EAP-TLS, driven by eapol_test, with the eap module of
docs/relying-parties.md as written (paths and URL changed): once in CRL mode with the files of
the documented sync script, once in OCSP mode against jitsuin's live /ocsp.
Only the fresh certificate is accepted."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.peers import require_tool
from tests.revocation.live import (  # noqa: F401 (fixture)
    CLIENTS,
    doc_block,
    live,
    only_fresh_accepted,
)

pytestmark = pytest.mark.peers

DOC_URL = "https://pki.example.ac.jp"
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
  post-auth {{
  }}
}}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _radius(live, mode: str):  # noqa: F811
    program = require_tool("freeradius")
    require_tool("eapol_test")
    synced = live.sync(live.dir / f"jitsuin-{mode}")
    conf = live.dir / f"radius-{mode}"
    shutil.copytree("/etc/freeradius/3.0", conf, symlinks=True)
    eap = (
        doc_block(f"freeradius-eap-{mode}")
        .replace("/etc/freeradius/3.0/certs/server.key", str(live.dir / "server.key"))
        .replace("/etc/freeradius/3.0/certs/server.pem", str(live.dir / "server.pem"))
        .replace("/etc/jitsuin", str(synced))
        .replace(DOC_URL, live.url)
    )
    (conf / "mods-available" / "eap").write_text(eap)
    for site in ("default", "inner-tunnel"):
        (conf / "sites-enabled" / site).unlink(missing_ok=True)
    port = _free_port()
    (conf / "sites-enabled" / "eaptls").write_text(SITE.format(port=port))
    radiusd = (conf / "radiusd.conf").read_text()
    radiusd = radiusd.replace("\tuser = freerad", "\t#user = freerad").replace(
        "\tgroup = freerad", "\t#group = freerad"
    )
    (conf / "radiusd.conf").write_text(radiusd)
    log = open(conf / "radius.log", "w")  # noqa: SIM115 (lives as long as the server)
    process = subprocess.Popen(
        [program, "-X", "-d", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    for _ in range(100):
        if "Ready to process requests" in (conf / "radius.log").read_text():
            break
        if process.poll() is not None:
            break
        time.sleep(0.1)
    else:
        pass
    if process.poll() is not None:
        pytest.fail("radiusd did not start:\n" + (conf / "radius.log").read_text()[-3000:])
    return process, port, log


@pytest.fixture(scope="module")
def radius_crl(live):  # noqa: F811
    process, port, log = _radius(live, "crl")
    yield port
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def radius_ocsp(live):  # noqa: F811
    process, port, log = _radius(live, "ocsp")
    yield port
    process.terminate()
    process.wait(timeout=10)
    log.close()


def eap_tls(live, port: int, client: str) -> str:  # noqa: F811
    config = live.dir / f"{client}.{port}.eapol.conf"
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
            str(port),
            "-s",
            "testing123",
            "-t",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout.strip().splitlines()[-1]


EXPECTED = only_fresh_accepted("SUCCESS", "FAILURE")


@pytest.mark.parametrize("client", CLIENTS)
def test_crl_mode_accepts_only_the_fresh_certificate(live, radius_crl, client):  # noqa: F811
    assert eap_tls(live, radius_crl, client) == EXPECTED[client]


@pytest.mark.parametrize("client", CLIENTS)
def test_ocsp_mode_accepts_only_the_fresh_certificate(live, radius_ocsp, client):  # noqa: F811
    assert eap_tls(live, radius_ocsp, client) == EXPECTED[client]


def test_ocsp_mode_asked_jitsuin(live, radius_ocsp):  # noqa: F811
    from jitsuin.lifecycle import sightings
    from jitsuin.lifecycle.models import Certificate

    eap_tls(live, radius_ocsp, "fresh")
    with live.db():
        sightings.flush()
        assert Certificate.objects.get(pk=live.clients["fresh"].row.pk).last_seen_at is not None


def test_sync_script_reports_no_change_the_second_time(live, tmp_path: Path):  # noqa: F811
    target = tmp_path / "j"
    live.sync(target)
    assert (target / "hashed" / ".given").exists()
    assert len(list((target / "hashed").glob("*.r0"))) == 3  # root, current, old CRLs
