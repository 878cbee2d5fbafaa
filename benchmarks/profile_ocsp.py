"""One OCSP request through ``OcspWsgi`` in this process, timed and profiled (cProfile).

    python -m benchmarks.profile_ocsp nonce     # live signing (FreeRADIUS use_nonce = yes)
    python -m benchmarks.profile_ocsp plain     # a pre-signed (RFC 5019) answer

PROFILE_REQUESTS (600) requests over PROFILE_CERTS (50) certificates, on a throwaway SQLite
site (JITSUIN_OCSP_CACHE_TTL=0 makes every request read the status). Prints the time per
request without the profiler, the queries of one request, the bare ECDSA signature beside it,
then the profile. docs/performance.md, "Live OCSP (nonce)", is what it showed.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import tempfile
import time


def main(kind: str) -> None:
    from benchmarks.httpload import setup_django

    # A throwaway site, whatever the shell says (as python -m benchmarks gives each benchmark).
    os.environ.pop("DATABASE_URL", None)
    os.environ["JITSUIN_DATA_DIR"] = tempfile.mkdtemp(prefix="jitsuin-profile-")
    setup_django()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.bench_ocsp import _make_certificates, _requests
    from jitsuin.authorities.publishing.ocsp_signing import responder_for
    from jitsuin.authorities.services import certificate_of
    from jitsuin.revocation.fastpath import OcspWsgi

    hierarchy, made = _make_certificates(int(os.environ.get("PROFILE_CERTS", "50")))
    bodies = _requests(certificate_of(hierarchy.intermediate), made, nonce=kind == "nonce")
    app = OcspWsgi(lambda environ, start_response: [b""])

    def call(body: bytes) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/ocsp",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
        }
        seen: list[str] = []
        app(environ, lambda status, headers: seen.append(status))
        assert seen[0].startswith("200"), seen

    count = int(os.environ.get("PROFILE_REQUESTS", "600"))
    for body in bodies:
        call(body)  # warm: the CA index, the responder key, the memory
    started = time.perf_counter()
    for n in range(count):
        call(bodies[n % len(bodies)])
    each = (time.perf_counter() - started) / count
    with CaptureQueriesContext(connection) as queries:
        call(bodies[3])
    print(f"{kind}: {each * 1e6:.0f} us/request ({1 / each:.0f}/s on one core)")
    print(f"queries in one request: {len(queries.captured_queries)}")
    for query in queries.captured_queries:
        print("   ", query["sql"][:150])
    key = responder_for(hierarchy.intermediate).private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    started = time.perf_counter()
    for _ in range(count):
        key.sign(b"x" * 200, ec.ECDSA(hashes.SHA256()))
    print(f"the bare ECDSA signature: {(time.perf_counter() - started) / count * 1e6:.0f} us")
    profile = cProfile.Profile()
    profile.enable()
    for n in range(count):
        call(bodies[n % len(bodies)])
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "nonce")
