"""nginx terminating TLS in front of jitsuin, as an IT center runs it (self-signed certificate)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.sso.peers.keys import self_signed
from tests.sso.peers.processes import running


def _config(work: Path, port: int, upstream: int, key: Path, cert: Path) -> str:
    temp = " ".join(
        f"{kind}_temp_path {work}/tmp;"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {work}/access.log;
  {temp}
  # Bodies and answers stay in memory: nginx's workers (another user when started as root)
  # cannot write into pytest's private temp tree, and a SAML response is tens of kilobytes.
  client_body_buffer_size 1m;
  proxy_max_temp_file_size 0;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }}
  }}
}}
"""


@contextmanager
def tls_proxy(nginx: str, work: Path, port: int, upstream: int) -> Iterator[None]:
    """nginx on https://127.0.0.1:``port`` passing to http://127.0.0.1:``upstream``."""
    (work / "tmp").mkdir(parents=True)
    key, cert = self_signed(work, "tls", "127.0.0.1")
    (work / "nginx.conf").write_text(_config(work, port, upstream, key, cert))
    argv = [nginx, "-c", str(work / "nginx.conf"), "-p", str(work)]
    with running(argv, port=port, log=work / "nginx.out"):
        yield
