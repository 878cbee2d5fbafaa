"""nginx client-certificate authentication with jitsuin's CRLs: the configuration of
docs/relying-parties.md, run as written (paths and port changed). 200 only for the fresh one."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from tests.peers import require_tool
from tests.revocation.live import (  # noqa: F401 (fixture)
    CLIENTS,
    doc_block,
    live,
    only_fresh_accepted,
)

pytestmark = pytest.mark.peers

EXPECTED = only_fresh_accepted(200, 400)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def nginx(live):  # noqa: F811
    program = require_tool("nginx")
    require_tool("curl")
    synced = live.sync(live.dir / "jitsuin")
    work = live.dir / "nginx"
    work.mkdir()
    port = _free_port()
    server = (
        doc_block("nginx-server")
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
        .replace("/etc/nginx/tls/", f"{live.dir}/")
        .replace("/etc/jitsuin", str(synced))
    )
    temp = " ".join(
        f"{k}_temp_path {work};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (work / "nginx.conf").write_text(
        f"daemon off;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  {temp}\n{server}}}\n"
    )
    process = subprocess.Popen([program, "-c", str(work / "nginx.conf"), "-p", str(work)])
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.parametrize("client", CLIENTS)
def test_nginx_accepts_only_the_fresh_certificate(live, nginx, client):  # noqa: F811
    result = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--cacert",
            str(live.dir / "server-ca.pem"),
            "--cert",
            str(live.dir / f"{client}.chain.pem"),
            "--key",
            str(live.dir / f"{client}.key"),
            f"https://127.0.0.1:{nginx}/",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert int(result.stdout) == EXPECTED[client]
