"""FreeRADIUS 3.2 and eapol_test without pytest: shared by tests/interop/radius.py (which adds
the skip-or-fail rules of tests/peers.py) and benchmarks/bench_revoke_reject.py.

``launch`` copies the system configuration, writes an ``eap`` module, serves one site with the
given ``post-auth`` section and waits for "Ready to process requests"; ``eapol`` is one EAP-TLS
login by eapol_test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.revocation.site import DOC_URL, doc_block

SBIN = ("/usr/sbin", "/sbin")
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


class RadiusFailed(Exception):
    """radiusd did not start; the message ends with its log."""


def find_program(name: str, extra: tuple[str, ...] = ()) -> str | None:
    """The path of ``name`` on PATH or in sbin (and ``extra`` directories first)."""
    return shutil.which(name, path=os.pathsep.join([*extra, os.environ.get("PATH", ""), *SBIN]))


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


def configure(
    conf: Path,
    *,
    eap: str,
    post_auth: str = EMPTY_POST_AUTH,
    prepare: Callable[[Path], None] | None = None,
    port: int | None = None,
) -> int:
    """A fresh copy of the system configuration in ``conf`` with the ``eap`` module text,
    ``prepare(conf)`` for extra modules, and one site with ``post_auth``; its port."""
    if conf.exists():
        shutil.rmtree(conf)
    shutil.copytree("/etc/freeradius/3.0", conf, symlinks=True)
    (conf / "mods-available" / "eap").write_text(eap)
    if prepare is not None:
        prepare(conf)
    for site in ("default", "inner-tunnel"):
        (conf / "sites-enabled" / site).unlink(missing_ok=True)
    port = port or free_port()
    (conf / "sites-enabled" / "eaptls").write_text(SITE.format(port=port, post_auth=post_auth))
    radiusd = (conf / "radiusd.conf").read_text()
    radiusd = radiusd.replace("\tuser = freerad", "\t#user = freerad").replace(
        "\tgroup = freerad", "\t#group = freerad"
    )
    (conf / "radiusd.conf").write_text(radiusd)
    return port


def run(program: str, conf: Path, port: int) -> RadiusServer:
    """radiusd -X on the configuration ``configure`` wrote (again: what a restart does)."""
    log = (conf / "radius.log").open("w")
    process = subprocess.Popen(
        [program, "-X", "-d", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    server = RadiusServer(process, port, conf, log)
    for _ in range(200):
        if "Ready to process requests" in server.log_path.read_text():
            return server
        if process.poll() is not None:
            break
        time.sleep(0.05)
    server.stop()
    raise RadiusFailed("radiusd did not start:\n" + server.log_path.read_text()[-3000:])


def launch(
    program: str,
    conf: Path,
    *,
    eap: str,
    post_auth: str = EMPTY_POST_AUTH,
    prepare: Callable[[Path], None] | None = None,
) -> RadiusServer:
    """``configure`` then ``run``."""
    port = configure(conf, eap=eap, post_auth=post_auth, prepare=prepare)
    return run(program, conf, port)


def eapol(
    directory: Path, port: int, client: str, *, nas: str | None = None, timeout: int = 10
) -> str:
    """One EAP-TLS login of ``client`` (``<client>.chain.pem``, ``<client>.key`` and the server's
    ``server-ca.pem`` in ``directory``): eapol_test's last line, SUCCESS or FAILURE."""
    config = directory / f"{client}.{port}.eapol.conf"
    config.write_text(
        "network={\n  key_mgmt=WPA-EAP\n  eap=TLS\n"
        f'  identity="{client}@example.ac.jp"\n'
        f'  ca_cert="{directory / "server-ca.pem"}"\n'
        f'  client_cert="{directory / f"{client}.chain.pem"}"\n'
        f'  private_key="{directory / f"{client}.key"}"\n'
        "  eapol_flags=0\n}\n"
    )
    command = ["eapol_test", "-c", str(config), "-a", "127.0.0.1", "-p", str(port)]
    command += ["-s", "testing123", "-t", str(timeout)]
    if nas is not None:
        command.append(f"-N32:s:{nas}")
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 20)
    return result.stdout.strip().splitlines()[-1]
