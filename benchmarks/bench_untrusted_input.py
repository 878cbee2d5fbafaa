"""What untrusted input costs a live `jitsuin serve` (issue 10, items 1 and 4).

- A PKCS#12 with 2^31-1 MAC iterations (820 bytes) posted to /api/v1/check: refused how fast.
- /ocsp while ten such uploads arrive at once, against /ocsp alone (ratio; 1.0 = unaffected).
- 10,000 distinct OCSP requests padded with an unknown extension (just under the 4 KiB cap):
  the server's RSS before and after (the answer cache is keyed by CertID, bounded in bytes).

    python -m benchmarks untrusted_input
"""

from __future__ import annotations

import base64
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import UnrecognizedExtension, ocsp
from cryptography.x509.oid import ObjectIdentifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pki.pfx_bombs import mac_bomb  # noqa: E402 (the test suite's own attack file)
from tests.serving import run_jitsuin, serving, site_env  # noqa: E402

PADDED = 10_000


def _post(base: str, path: str, body: bytes, content_type: str) -> tuple[int, bytes, float]:
    headers = {"Content-Type": content_type}
    request = urllib.request.Request(base + path, data=body, headers=headers)  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
            return answer.status, answer.read(), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.perf_counter() - started


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def _serve_pid(port: int) -> int:
    found = subprocess.run(
        ["pgrep", "-f", f"jitsuin serve --port {port}"], capture_output=True, text=True
    )
    return int(found.stdout.split()[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = site_env(data, JITSUIN_KEY_POOL="0")
        with serving(env, log=Path(tmp) / "serve.log") as base:
            run_jitsuin(env, "user", "add", "alice", "--email", "alice@example.ac.jp")
            p12, pin = Path(tmp) / "alice.p12", Path(tmp) / "alice.pin"
            issued = run_jitsuin(
                env, "issue", "alice", "--out", str(p12), "--pin-file", str(pin), "--wait"
            )
            assert issued.returncode == 0, issued.stderr
            bundle = pkcs12.load_pkcs12(p12.read_bytes(), pin.read_text().strip().encode())
            assert bundle.cert is not None
            leaf, issuer = bundle.cert.certificate, bundle.additional_certs[0].certificate
            pid = _serve_pid(int(base.rsplit(":", 1)[1]))

            bomb = mac_bomb(2**31 - 1)
            body = json.dumps(
                {"certificate": base64.b64encode(bomb).decode(), "pin": "x", "lang": "en"}
            ).encode()
            status, answer, took = _post(base, "/api/v1/check", body, "application/json")
            code = json.loads(answer).get("code")
            print(
                f"PKCS#12 with 2^31-1 MAC iterations ({len(bomb)} bytes): HTTP {status} "
                f"{code} in {took * 1000:.1f} ms (unbounded: about 15 minutes of CPU)"
            )

            plain = (
                ocsp.OCSPRequestBuilder()
                .add_certificate(leaf, issuer, hashes.SHA1())  # noqa: S303 (relying parties' CertID)
                .build()
                .public_bytes(serialization.Encoding.DER)
            )
            alone = statistics.median(
                _post(base, "/ocsp", plain, "application/ocsp-request")[2] for _ in range(20)
            )
            uploads = [
                threading.Thread(
                    target=_post, args=(base, "/api/v1/check", body, "application/json")
                )
                for _ in range(10)
            ]
            for upload in uploads:
                upload.start()
            during = _post(base, "/ocsp", plain, "application/ocsp-request")[2]
            for upload in uploads:
                upload.join()
            print(
                f"/ocsp alone {alone * 1000:.1f} ms, while 10 bombs arrive "
                f"{during * 1000:.1f} ms: ratio {during / alone:.1f}"
            )

            def padded(index: int) -> bytes:
                padding = UnrecognizedExtension(
                    ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                    index.to_bytes(8, "big") + b"A" * 3000,
                )
                return (
                    ocsp.OCSPRequestBuilder()
                    .add_certificate(leaf, issuer, hashes.SHA1())  # noqa: S303 (relying parties' CertID)
                    .add_extension(padding, critical=False)
                    .build()
                    .public_bytes(serialization.Encoding.DER)
                )

            _post(base, "/ocsp", padded(0), "application/ocsp-request")
            before, started = _rss_mib(pid), time.perf_counter()
            for index in range(1, PADDED + 1):
                assert _post(base, "/ocsp", padded(index), "application/ocsp-request")[0] == 200
            after = _rss_mib(pid)
            print(
                f"{PADDED:,} distinct padded OCSP requests ({len(padded(1)):,} bytes each) in "
                f"{time.perf_counter() - started:.1f} s: RSS {before:.1f} -> {after:.1f} MiB "
                f"(+{after - before:.1f}; keyed by raw bytes: about +{PADDED * 3 // 1024})"
            )
