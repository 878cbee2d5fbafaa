"""An offline root end to end: the ceremony's answers imported, certificates under it, the
root never signing online, its CRL from a ceremony listing a revoked intermediate."""

from __future__ import annotations

import base64
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from jitsuin.authorities import offline, revocations, services
from jitsuin.authorities.keys import OfflineKey, check_kek, key_store
from jitsuin.authorities.models import Authority, PendingPublication, PublishedCrl
from jitsuin.authorities.publishing import health, periodic
from jitsuin.lifecycle.models import Certificate
from jitsuin.lifecycle.services import default_profile, request_issue
from jitsuin.pki.clock import SystemClock
from jitsuin.pki.keys import KeySpec
from jitsuin.pki.offline import OfflineError, Vault, init_vault, open_vault, sign
from tests.lifecycle.conftest import key, make_person, run_pipeline
from tests.peers import require_tool
from tests.pki.factories import ca_name

pytestmark = pytest.mark.django_db
PASSPHRASE = b"correct horse battery staple"


@pytest.fixture
def vault(tmp_path: Path) -> tuple[Vault, dict[str, object]]:
    doc = init_vault(
        tmp_path / "vault",
        subject=ca_name("Offline Root"),
        name="Offline Root",
        slug="offline-root",
        public_url=services.current().public_url,
        key_spec=KeySpec.parse("p384"),
        passphrase=PASSPHRASE,
        clock=SystemClock(),
    )
    return open_vault(tmp_path / "vault", PASSPHRASE), doc


def _intermediate(vault: Vault, root: Authority, name: str) -> Authority:
    request = offline.request_intermediate(name, root=root)
    answer = sign(vault, request, clock=SystemClock())
    intermediate = offline.import_intermediate(answer, actor="cli")
    return services.activate(intermediate.name)


def _pem(path: Path, *items: x509.Certificate | x509.CertificateRevocationList) -> Path:
    path.write_bytes(b"".join(i.public_bytes(serialization.Encoding.PEM) for i in items))
    return path


def _crl(authority: Authority) -> x509.CertificateRevocationList:
    latest = PublishedCrl.objects.latest_for(authority)
    assert latest is not None
    return x509.load_der_x509_crl(bytes(latest.der))


def _issue(uid: str) -> x509.Certificate:
    person = make_person(uid)
    now = timezone.now()
    request_issue(
        person, actor=f"user:{uid}", idempotency_key=key(), profile=default_profile(), now=now
    )
    assert "issued" in run_pipeline(now)
    return x509.load_der_x509_certificate(bytes(Certificate.objects.get(person=person).der))


def _openssl_verify(
    tmp_path: Path, root: Authority, intermediate: Authority, leaf: x509.Certificate
) -> subprocess.CompletedProcess[str]:
    """OpenSSL with both CRLs checked (the root's signed at a ceremony)."""
    command = [
        require_tool("openssl"),
        "verify",
        "-crl_check_all",
        "-CAfile",
        str(_pem(tmp_path / "root.pem", services.certificate_of(root))),
        "-untrusted",
        str(_pem(tmp_path / "inter.pem", services.certificate_of(intermediate))),
        "-CRLfile",
        str(_pem(tmp_path / "crls.pem", _crl(root), _crl(intermediate))),
        str(_pem(tmp_path / "leaf.pem", leaf)),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_an_offline_root_issues_through_its_intermediate_and_never_signs_online(vault, tmp_path):
    ceremony, root_doc = vault
    root = offline.import_root(root_doc, actor="cli")
    assert root.kept_offline and root.crl_number == 1
    g1 = _intermediate(ceremony, root, "Client CA G1")
    assert g1.parent == root and not g1.kept_offline
    leaf = _issue("hanako")
    checked = _openssl_verify(tmp_path, root, g1, leaf)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # Nothing online signs with the root: not the worker's periodic job, not the key check.
    with pytest.raises(OfflineKey, match="kept offline"):
        key_store().get(root.key_ref)
    periodic.refresh(timezone.now() + timedelta(days=2))
    assert PublishedCrl.objects.filter(authority=root).count() == 1
    root.refresh_from_db()
    assert not root.ocsp_key_ref
    assert check_kek() == 1  # the intermediate's key; the root's is not looked for


def test_a_revoked_intermediate_waits_for_the_ceremony_s_root_crl(vault, tmp_path):
    ceremony, root_doc = vault
    root = offline.import_root(root_doc, actor="cli")
    g1 = _intermediate(ceremony, root, "Client CA G1")
    leaf = _issue("taro")
    _intermediate(ceremony, root, "Client CA G2")  # G1 retires
    revocations.revoke_authority("Client CA G1", reason="superseded", actor="cli")
    assert not PendingPublication.objects.filter(authority=root).exists()

    request = offline.crl_request(root)
    assert [e["name"] for e in request["entries"]] == ["Client CA G1"]  # type: ignore[index]
    row = offline.import_crl(sign(ceremony, request, clock=SystemClock()), actor="cli")
    assert row.number == 2 and row.entries == 1
    checked = _openssl_verify(tmp_path, root, g1, leaf)
    assert checked.returncode != 0 and "revoked" in checked.stdout + checked.stderr

    # An answer imported twice, or a CRL not newer, is refused.
    with pytest.raises(OfflineError, match="not newer"):
        offline.import_crl(
            {**request, "kind": "crl", "crl_der": base64.b64encode(row.der).decode()},
            actor="cli",
        )


def test_the_health_check_asks_for_a_ceremony_a_month_ahead(vault):
    _, root_doc = vault
    root = offline.import_root(root_doc, actor="cli")
    next_update = PublishedCrl.objects.latest_for(root).next_update  # type: ignore[union-attr]
    assert not [
        s for s in health.find_stale(next_update - timedelta(days=31)) if root.slug in s.what
    ]
    stale = [s for s in health.find_stale(next_update - timedelta(days=29)) if root.slug in s.what]
    assert stale and "close to nextUpdate" in stale[0].problem


def test_a_signed_answer_for_another_key_or_root_is_refused(vault, tmp_path):
    ceremony, root_doc = vault
    root = offline.import_root(root_doc, actor="cli")
    answer = sign(
        ceremony, offline.request_intermediate("Client CA G1", root=root), clock=SystemClock()
    )
    other = offline.request_intermediate("Client CA G9", root=root)
    with pytest.raises(OfflineError, match="not for the key"):
        offline.import_intermediate({**answer, "key_ref": other["key_ref"]}, actor="cli")
    with pytest.raises(services.AuthorityError, match="already exists"):
        offline.import_root(root_doc, actor="cli")


def test_without_an_intermediate_ca_init_says_the_root_is_offline(vault):
    _, root_doc = vault
    offline.import_root(root_doc, actor="cli")
    with pytest.raises(OfflineKey, match="jitsuin ca offline request"):
        services.init_hierarchy()
