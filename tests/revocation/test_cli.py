from datetime import timedelta

import pytest
from cryptography import x509
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jitsuin.authorities.models import Authority, AuthorityStatus
from jitsuin.authorities.revocations import revoke_authority

from .factories import issue, revoke

pytestmark = pytest.mark.django_db


def test_crl_writes_the_current_der_crl(pki, tmp_path):
    revoke(issue(pki.current))
    out = tmp_path / "ca.crl"
    call_command("crl", pki.current.slug, "--out", str(out), "--publish")
    crl = x509.load_der_x509_crl(out.read_bytes())
    assert len(list(crl)) == 1


def test_crl_all_writes_every_cas_crl_as_pem(pki, tmp_path):
    out = tmp_path / "crls.pem"
    call_command("crl", "--all", "--out", str(out))
    assert out.read_text().count("BEGIN X509 CRL") == 3


def test_an_unknown_slug_names_the_known_ones(pki):
    with pytest.raises(CommandError, match=pki.current.slug):
        call_command("crl", "nope")


def test_check_exits_0_only_for_a_valid_certificate(pki, tmp_path, capsys):
    good, bad = issue(pki.current), issue(pki.current)
    revoke(bad)
    (tmp_path / "good.pem").write_bytes(good.pem)
    (tmp_path / "bad.der").write_bytes(bad.der)
    call_command("check", str(tmp_path / "good.pem"), "--lang", "en")
    assert capsys.readouterr().out.startswith("valid: This certificate is valid")
    with pytest.raises(SystemExit) as exited:
        call_command("check", str(tmp_path / "bad.der"))
    assert exited.value.code == 1
    assert "失効" in capsys.readouterr().out


def test_check_with_a_pin_opens_pkcs12(pki, tmp_path, capsys):
    issued = issue(pki.current)
    (tmp_path / "me.p12").write_bytes(issued.pkcs12("1234-5678-abcd"))
    call_command("check", str(tmp_path / "me.p12"), "--pin", "1234-5678-abcd", "--json")
    assert '"status": "valid"' in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("check", str(tmp_path / "me.p12"), "--pin", "wrong")


def test_ca_revoke_now_and_scheduled(pki, capsys):
    call_command("ca", "revoke", pki.old.name, "--reason", "superseded")
    assert Authority.objects.get(pk=pki.old.pk).status == AuthorityStatus.REVOKED
    with pytest.raises(CommandError, match="issuing CA"):
        call_command("ca", "revoke", pki.current.name)
    at = (timezone.now() + timedelta(days=3)).isoformat()
    from jitsuin.authorities.services import create_intermediate

    third = create_intermediate("Third CA", parent=pki.root)
    call_command("ca", "revoke", third.name, "--at", at)
    assert "will be revoked" in capsys.readouterr().out
    assert Authority.objects.get(pk=third.pk).status == AuthorityStatus.PENDING


def test_crl_can_export_presigned_ocsp_responses_for_a_static_server(pki, tmp_path):
    issue(pki.current)
    call_command("crl", "--ocsp-static", str(tmp_path / "ocsp"))
    assert len([p for p in (tmp_path / "ocsp").rglob("*") if p.is_file()]) == 1


def test_check_under_a_scheduled_intermediate_revocation_says_switch_now(pki, tmp_path, capsys):
    issued = issue(pki.old)
    at = timezone.now() + timedelta(hours=3)
    revoke_authority(pki.old.name, reason="superseded", at=at, actor="test")
    (tmp_path / "old.pem").write_bytes(issued.pem)
    call_command("check", str(tmp_path / "old.pem"))
    out = capsys.readouterr().out
    assert out.startswith("switch_now: ") and "今すぐ切り替えてください" in out
    assert "対応は不要" not in out
    call_command("check", str(tmp_path / "old.pem"), "--json", "--lang", "en")
    out = capsys.readouterr().out
    assert '"status": "switch_now"' in out and '"stops_working_at": "' in out
