"""``sync_once`` and the loop against a fake jitsuin serving a hierarchy made by the pki core."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from jitsuin.agent.checking import parse_crls
from jitsuin.agent.command import run
from jitsuin.agent.hashing import subject_hash
from jitsuin.agent.sync import CA_BUNDLE, CRL_BUNDLE, Source, sync_once
from jitsuin.pki.crl import RevokedEntry
from jitsuin.pki.issuance import Signer
from tests.agent.server import FakeJitsuin
from tests.pki.factories import EVERYTHING_VALID, TestPki, build_test_pki, cached_key, pem

NOW = EVERYTHING_VALID + timedelta(hours=1)


def publish(jitsuin: FakeJitsuin, pki: TestPki, *crls: x509.CertificateRevocationList) -> None:
    jitsuin.published.bodies[CA_BUNDLE] = pem(pki.root.certificate) + pem(
        pki.intermediate.certificate
    )
    jitsuin.published.bodies[CRL_BUNDLE] = b"".join(pem(crl) for crl in crls)


@functools.cache  # ECDSA signatures differ each time: the "same" CRL must be the same bytes
def first_crls(pki: TestPki) -> tuple[x509.CertificateRevocationList, ...]:
    return (pki.crl(signer=pki.root, number=1), pki.crl(number=1))


def source(jitsuin: FakeJitsuin, pki: TestPki, target: Path) -> Source:
    return Source(jitsuin.url, pem(pki.root.certificate), target)


def snapshot(target: Path) -> dict[str, bytes]:
    return {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()}


@pytest.fixture
def synced(jitsuin: FakeJitsuin, pki: TestPki, tmp_path: Path) -> Source:
    """A CA directory after a first good sync."""
    publish(jitsuin, pki, *first_crls(pki))
    given = source(jitsuin, pki, tmp_path / "jitsuin")
    assert sync_once(given, now=NOW).ok
    return given


def test_first_sync_writes_the_roots_and_every_crl_hashed(jitsuin, pki, tmp_path):
    publish(jitsuin, pki, *first_crls(pki))
    target = tmp_path / "jitsuin"
    outcome = sync_once(source(jitsuin, pki, target), now=NOW)
    assert outcome.ok and outcome.changed
    assert outcome.lines == (
        "trust anchors: Example Univ Test Root CA",
        "loaded CRL 1 of Example Univ Test Root CA (0 revoked, next update 2025-06-09T10:30:00Z)",
        "loaded CRL 1 of Example Univ Client CA G1 (0 revoked, next update 2025-06-09T10:30:00Z)",
    )
    root, intermediate = (subject_hash(c.subject) for c in pki.chain[::-1])
    hashed = sorted(p.name for p in (target / "hashed").iterdir())
    # The root as the only anchor (rule 1), the CRL of every CA (rule 2).
    assert hashed == sorted([".given", f"{root}.0", f"{root}.r0", f"{intermediate}.r0"])
    assert (target / "roots.pem").read_bytes() == pem(pki.root.certificate)
    assert (target / "crls.pem").read_bytes() == jitsuin.published.bodies[CRL_BUNDLE]
    assert oct((target / "hashed" / f"{root}.r0").stat().st_mode & 0o777) == "0o644"


def test_second_sync_changes_nothing_and_asks_with_etags(jitsuin, synced):
    before = snapshot(synced.target)
    jitsuin.published.answers.clear()
    outcome = sync_once(synced, now=NOW)
    assert outcome.ok and not outcome.changed and outcome.lines == ()
    assert jitsuin.published.answers == [(CA_BUNDLE, 304), (CRL_BUNDLE, 304)]
    assert snapshot(synced.target) == before


def test_a_new_crl_is_a_change_and_runs_the_reload_command_once(jitsuin, pki, synced, tmp_path):
    reloads = tmp_path / "reloads"
    command = f"sh -c 'echo reload >> {reloads}'"
    assert run(synced, reload_command=command, interval=None, clock=lambda: NOW) == 0
    assert not reloads.exists()  # nothing changed since the fixture's sync

    revoked = RevokedEntry(serial=4242, revoked_at=EVERYTHING_VALID, reason=None)
    publish(jitsuin, pki, first_crls(pki)[0], pki.crl([revoked], number=2))
    outcome = sync_once(synced, now=NOW)
    assert outcome.lines == (
        "loaded CRL 2 of Example Univ Client CA G1 (was 1; 1 revoked, "
        "next update 2025-06-09T10:30:00Z)",
    )
    new = pki.crl([RevokedEntry(4243, EVERYTHING_VALID)], number=3)
    publish(jitsuin, pki, first_crls(pki)[0], new)
    assert run(synced, reload_command=command, interval=None, clock=lambda: NOW) == 0
    assert run(synced, reload_command=command, interval=None, clock=lambda: NOW) == 0
    assert reloads.read_text() == "reload\n"
    loaded = parse_crls((synced.target / "crls.pem").read_bytes(), "the test")
    assert loaded[1].get_revoked_certificate_by_serial_number(4243) is not None


def test_jitsuin_down_keeps_the_last_good_set_and_fails(jitsuin, synced, capsys):
    before = snapshot(synced.target)
    jitsuin.stop()
    assert run(synced, reload_command="false", interval=None, clock=lambda: NOW) == 1
    assert snapshot(synced.target) == before
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "kept the last good set: " in err[0] and "/ca/bundle.pem" in err[0]


def test_an_http_error_keeps_the_last_good_set(jitsuin, synced):
    before = snapshot(synced.target)
    jitsuin.published.bodies[CRL_BUNDLE] = 503
    outcome = sync_once(synced, now=NOW)
    assert (outcome.ok, outcome.changed) == (False, False)
    assert outcome.lines == (f"kept the last good set: {jitsuin.url}/crl/bundle.pem: HTTP 503",)
    assert snapshot(synced.target) == before


def test_a_crl_signed_by_another_key_is_refused(jitsuin, pki, synced):
    before = snapshot(synced.target)
    impostor = Signer(pki.intermediate.certificate, cached_key("p384", "impostor"), "x")
    publish(jitsuin, pki, first_crls(pki)[0], pki.crl(signer=impostor, number=9))
    outcome = sync_once(synced, now=NOW)
    assert not outcome.ok
    assert outcome.lines == (
        "kept the last good set: the CRL of Example Univ Client CA G1 is not signed by a CA "
        "under the pinned roots",
    )
    assert snapshot(synced.target) == before


def test_a_stale_crl_is_refused(jitsuin, pki, synced):
    before = snapshot(synced.target)
    publish(jitsuin, pki, first_crls(pki)[0], pki.crl(number=2))
    outcome = sync_once(synced, now=NOW + timedelta(days=8))
    assert outcome.lines[0].startswith(
        "kept the last good set: the CRL of Example Univ Test Root CA is stale (nextUpdate "
        "2025-06-09T10:30:00Z has passed)"
    )
    assert snapshot(synced.target) == before


def test_a_crl_from_the_future_is_refused_beyond_the_skew(jitsuin, pki, tmp_path):
    later = EVERYTHING_VALID + timedelta(minutes=10)
    publish(jitsuin, pki, pki.crl(signer=pki.root, at=later), pki.crl())
    target = tmp_path / "jitsuin"
    outcome = sync_once(source(jitsuin, pki, target), now=EVERYTHING_VALID)
    assert outcome.lines == (
        "nothing written: the CRL of Example Univ Test Root CA starts in the future "
        "(thisUpdate 2025-06-02T10:40:00Z)",
    )
    assert not target.exists()
    assert sync_once(source(jitsuin, pki, target), now=later - timedelta(minutes=4)).ok


def test_a_root_that_is_not_pinned_is_refused(jitsuin, pki, tmp_path):
    other = build_test_pki(label=" Other")
    publish(jitsuin, other, other.crl(signer=other.root), other.crl())
    target = tmp_path / "jitsuin"
    outcome = sync_once(source(jitsuin, pki, target), now=NOW)
    assert outcome.lines == (
        "nothing written: the CRL of Example Univ Test Root CA Other is not signed by a CA "
        "under the pinned roots",
    )
    assert not target.exists()


def test_a_crl_that_goes_backwards_is_refused(jitsuin, pki, synced):
    publish(jitsuin, pki, first_crls(pki)[0], pki.crl(number=5))
    assert sync_once(synced, now=NOW).ok
    publish(jitsuin, pki, first_crls(pki)[0], pki.crl(number=4))
    outcome = sync_once(synced, now=NOW)
    assert outcome.lines == (
        "kept the last good set: the CRL of Example Univ Client CA G1 goes backwards "
        "(number 4, 5 is loaded)",
    )


def test_a_crl_that_disappears_is_refused(jitsuin, pki, synced):
    publish(jitsuin, pki, first_crls(pki)[0])
    outcome = sync_once(synced, now=NOW)
    assert outcome.lines == (
        "kept the last good set: the CRL of Example Univ Client CA G1 is missing (one is loaded)",
    )


def test_a_directory_it_cannot_write_is_a_failure_not_a_crash(jitsuin, pki, tmp_path):
    publish(jitsuin, pki, *first_crls(pki))
    (tmp_path / "file").write_text("not a directory")
    outcome = sync_once(source(jitsuin, pki, tmp_path / "file" / "jitsuin"), now=NOW)
    assert not outcome.ok and outcome.lines[0].startswith("nothing written: cannot write")
