"""The django-ca peer, run in its own virtualenv and Django project (djangoca_settings.py).

Makes a root and an intermediate once (curve DJANGOCA_CA_CURVE, jitsuin's), then answers each
line ``N`` on stdin with one JSON line on stdout: N certificates issued by the intermediate
from fresh P-256 CSRs with ``Certificate.objects.create_cert`` (django-ca's own entry point:
profile, extensions, signing, its Certificate row and signals), timed in-process, with the SQL
statements it ran. The CSRs are made before the clock starts, as jitsuin's side does.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangoca_settings")

import django  # noqa: E402

django.setup()

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_ca.key_backends import key_backends  # noqa: E402
from django_ca.key_backends.storages.models import (  # noqa: E402
    StoragesCreatePrivateKeyOptions,
    StoragesUsePrivateKeyOptions,
)
from django_ca.models import Certificate, CertificateAuthority  # noqa: E402

# The CA's curve: the benchmark passes jitsuin's (its CAs are P-384, its OCSP signer P-256).
CA_CURVE = os.environ.get("DJANGOCA_CA_CURVE", "secp384r1")


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bench"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _ca(name: str, parent: CertificateAuthority | None) -> CertificateAuthority:
    backend = key_backends["default"]
    options = StoragesCreatePrivateKeyOptions(
        key_type="EC", elliptic_curve=CA_CURVE, password=None, path="ca", key_size=None
    )
    return CertificateAuthority.objects.init(
        name=name,
        key_backend=backend,
        key_backend_options=options,
        subject=_name(name),
        not_after=datetime.now(UTC) + timedelta(days=3650),
        parent=parent,
        use_parent_private_key_options=StoragesUsePrivateKeyOptions(password=None)
        if parent
        else None,
        key_type="EC",
        path_length=0 if parent else 1,
    )


def _csr(i: int) -> x509.CertificateSigningRequest:
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(f"peer{i}"))
        .sign(key, hashes.SHA256())
    )


def main() -> None:
    call_command("migrate", interactive=False, verbosity=0)
    root = _ca("Bench Root", None)
    issuer = _ca("Bench Issuing", root)
    use = StoragesUsePrivateKeyOptions(password=None)
    done = 0
    print(json.dumps({"ready": True, "django_ca": django_ca_version()}), flush=True)
    for line in sys.stdin:
        if not line.strip() or line.strip() == "quit":
            break
        n = int(line)
        csrs = [_csr(done + i) for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            for i, csr in enumerate(csrs):
                Certificate.objects.create_cert(
                    issuer,
                    use,
                    csr,
                    subject=x509.Name(
                        [x509.NameAttribute(NameOID.COMMON_NAME, f"peer{done + i}.example.ac.jp")]
                    ),
                )
            seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        done += n
        print(
            json.dumps({"n": n, "seconds": seconds, "cpu": cpu_s, "queries": len(queries)}),
            flush=True,
        )


def django_ca_version() -> str:
    import django_ca

    return str(django_ca.__version__)


if __name__ == "__main__":
    main()
