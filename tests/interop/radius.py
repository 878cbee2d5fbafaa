"""A FreeRADIUS 3.2 for EAP-TLS tests, configured from docs/relying-parties.md, and eapol_test.

``start_radius`` copies the system configuration, writes an ``eap`` module (``eap_module``:
the documented block in CRL or OCSP mode with the test's paths), lets the caller add modules,
serves one site with the given ``post-auth`` section and waits for "Ready to process
requests"; ``start_live_radius`` does it for the ``live`` jitsuin with the documented sync
script. ``eap_tls`` is one login by eapol_test: SUCCESS or FAILURE.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from tests.peers import require_tool
from tests.revocation.live import DOC_URL, doc_block

EMPTY_POST_AUTH = "  post-auth {\n  }"
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RadiusServer:
    process: subprocess.Popen[bytes]
    port: int
    conf: Path
    log: IO[str]

    @property
    def log_path(self) -> Path:
        return self.conf / "radius.log"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def eap_module(mode: str, *, certs: Path, jitsuin: Path, url: str = DOC_URL) -> str:
    """The documented ``freeradius-eap-<mode>`` block (crl or ocsp) with this test's paths: the
    server's key and certificate in ``certs``, the sync script's files in ``jitsuin``."""
    return (
        doc_block(f"freeradius-eap-{mode}")
        .replace("/etc/freeradius/3.0/certs/server.key", str(certs / "server.key"))
        .replace("/etc/freeradius/3.0/certs/server.pem", str(certs / "server.pem"))
        .replace("/etc/jitsuin", str(jitsuin))
        .replace(DOC_URL, url)
    )


def start_radius(
    conf: Path,
    *,
    eap: str,
    post_auth: str = EMPTY_POST_AUTH,
    prepare: Callable[[Path], None] | None = None,
) -> RadiusServer:
    """radiusd -X from a fresh copy of the system configuration in ``conf``, with the ``eap``
    module text, ``prepare(conf)`` for extra modules, and one site with ``post_auth``."""
    program = require_tool("freeradius")
    require_tool("eapol_test")
    if conf.exists():
        shutil.rmtree(conf)
    shutil.copytree("/etc/freeradius/3.0", conf, symlinks=True)
    (conf / "mods-available" / "eap").write_text(eap)
    if prepare is not None:
        prepare(conf)
    for site in ("default", "inner-tunnel"):
        (conf / "sites-enabled" / site).unlink(missing_ok=True)
    port = free_port()
    (conf / "sites-enabled" / "eaptls").write_text(SITE.format(port=port, post_auth=post_auth))
    radiusd = (conf / "radiusd.conf").read_text()
    radiusd = radiusd.replace("\tuser = freerad", "\t#user = freerad").replace(
        "\tgroup = freerad", "\t#group = freerad"
    )
    (conf / "radiusd.conf").write_text(radiusd)
    log = (conf / "radius.log").open("w")
    process = subprocess.Popen(
        [program, "-X", "-d", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    server = RadiusServer(process, port, conf, log)
    for _ in range(100):
        if "Ready to process requests" in server.log_path.read_text():
            return server
        if process.poll() is not None:
            break
        time.sleep(0.1)
    server.stop()
    pytest.fail("radiusd did not start:\n" + server.log_path.read_text()[-3000:])


def start_live_radius(
    live: Any,
    name: str,
    *,
    mode: str,
    post_auth: str = EMPTY_POST_AUTH,
    prepare: Callable[[Path], None] | None = None,
) -> RadiusServer:
    """A RADIUS server for the ``live`` jitsuin in CRL or OCSP ``mode``; the documented sync
    script runs each time, so starting one again is the documented "sync, then restart"."""
    synced = live.sync(live.dir / f"jitsuin-{name}")
    eap = eap_module(mode, certs=live.dir, jitsuin=synced, url=live.url)
    return start_radius(live.dir / f"radius-{name}", eap=eap, post_auth=post_auth, prepare=prepare)


def eap_tls(live: Any, port: int, client: str, *, nas: str | None = None) -> str:
    """One EAP-TLS login of ``client`` (its chain and key in live.dir): SUCCESS or FAILURE."""
    config = live.dir / f"{client}.{port}.eapol.conf"
    config.write_text(
        "network={\n  key_mgmt=WPA-EAP\n  eap=TLS\n"
        f'  identity="{client}@example.ac.jp"\n'
        f'  ca_cert="{live.dir / "server-ca.pem"}"\n'
        f'  client_cert="{live.dir / f"{client}.chain.pem"}"\n'
        f'  private_key="{live.dir / f"{client}.key"}"\n'
        "  eapol_flags=0\n}\n"
    )
    command = ["eapol_test", "-c", str(config), "-a", "127.0.0.1", "-p", str(port)]
    command += ["-s", "testing123", "-t", "10"]
    if nas is not None:
        command.append(f"-N32:s:{nas}")
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return result.stdout.strip().splitlines()[-1]
