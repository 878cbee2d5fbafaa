"""An EAP-TLS login against a real RADIUS server with ``eapol_test``, for pre-flight canaries."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from jitsuin.pki.keys import PrivateKey


@dataclass(frozen=True)
class RadiusTarget:
    host: str
    port: int
    secret: str
    server_ca: str = ""

    def __repr__(self) -> str:  # never show the shared secret
        return f"RadiusTarget({self.host}:{self.port})"


@dataclass(frozen=True)
class LoginResult:
    """``detail`` is eapol_test's last line; when there is none, ``problem`` says why as a
    code (``not_installed``, ``timed_out``, ``exited``, with ``exit_code``), so that the
    reason can be shown in each reader's language (``campaigns.check_text``)."""

    accepted: bool
    detail: str
    problem: str = ""
    exit_code: int = 0

    def as_params(self) -> dict[str, object]:
        return {"detail": self.detail, "problem": self.problem, "exit_code": self.exit_code}


def eapol_test_path() -> str | None:
    return shutil.which("eapol_test") or shutil.which("eapol_test", path="/usr/sbin:/sbin")


def eap_tls_login(
    target: RadiusTarget,
    *,
    identity: str,
    chain_pem: bytes,
    key: PrivateKey,
    timeout: int = 10,
) -> LoginResult:
    """Try one EAP-TLS login; ``chain_pem`` is the leaf followed by its intermediate."""
    program = eapol_test_path()
    if program is None:
        return LoginResult(False, "", problem="not_installed")
    with tempfile.TemporaryDirectory(prefix="jitsuin-canary-") as tmp:
        work = Path(tmp)
        (work / "chain.pem").write_bytes(chain_pem)
        key_file = work / "key.pem"
        key_file.touch(mode=0o600)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        ca_line = f'  ca_cert="{target.server_ca}"\n' if target.server_ca else ""
        (work / "eap.conf").write_text(
            "network={\n  key_mgmt=WPA-EAP\n  eap=TLS\n"
            f'  identity="{identity}"\n{ca_line}'
            f'  client_cert="{work / "chain.pem"}"\n  private_key="{key_file}"\n'
            "  eapol_flags=0\n}\n"
        )
        try:
            done = subprocess.run(
                [
                    program,
                    "-c",
                    str(work / "eap.conf"),
                    "-a",
                    target.host,
                    "-p",
                    str(target.port),
                    "-s",
                    target.secret,
                    "-t",
                    str(timeout),
                ],
                capture_output=True,
                text=True,
                timeout=timeout + 10,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return LoginResult(False, "", problem="timed_out")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    if last:
        return LoginResult(last == "SUCCESS", last)
    return LoginResult(False, "", problem="exited", exit_code=done.returncode)
