"""--report-token-file: each pass is reported (name, outcome, the CRLs in the directory); a
report that fails says so once and exits 1 in one-shot mode, and never touches the directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jitsuin.agent import command
from jitsuin.agent.reporting import REPORT_PATH
from tests.agent.server import FakeJitsuin
from tests.agent.test_command import arguments, serve_now
from tests.pki.factories import TestPki


def token_file(tmp_path: Path, text: str = "jt_secret-token\n") -> Path:
    path = tmp_path / "report-token"
    path.write_text(text)
    path.chmod(0o600)
    return path


def sync(jitsuin: FakeJitsuin, pki: TestPki, tmp_path: Path, *extra: str) -> int:
    return command.main([*arguments(jitsuin, pki, tmp_path), *extra])


def test_a_pass_is_reported_with_the_crls_of_the_directory(jitsuin, pki, tmp_path, capsys):
    serve_now(jitsuin, pki, [])
    token = token_file(tmp_path)
    assert sync(jitsuin, pki, tmp_path, "--report-token-file", str(token), "--name", "rad1") == 0
    [(path, headers, body)] = jitsuin.published.posts
    assert path == REPORT_PATH
    assert headers["Authorization"] == "Bearer jt_secret-token"
    assert headers["Content-Type"] == "application/json"
    report = json.loads(body)
    assert (report["name"], report["ok"], report["error"]) == ("rad1", True, "")
    assert report["software"].startswith("jitsuin ")
    issuers = sorted(c["issuer"] for c in report["crls"])
    assert issuers == sorted(
        c.subject.rfc4514_string() for c in (pki.root.certificate, pki.intermediate.certificate)
    )
    for crl in report["crls"]:
        assert crl["number"].isdigit() and len(crl["authority_key_id"]) == 40
        assert crl["this_update"] < crl["next_update"]
    assert "jt_secret-token" not in capsys.readouterr().out  # never printed


def test_a_failed_sync_is_reported_with_its_line_and_the_last_good_set(jitsuin, pki, tmp_path):
    serve_now(jitsuin, pki, [])
    token = token_file(tmp_path)
    assert sync(jitsuin, pki, tmp_path, "--report-token-file", str(token)) == 0
    jitsuin.published.bodies["/crl/bundle.pem"] = 503
    assert sync(jitsuin, pki, tmp_path, "--report-token-file", str(token)) == 1
    report = json.loads(jitsuin.published.posts[-1][2])
    assert report["ok"] is False and "HTTP 503" in report["error"]
    assert len(report["crls"]) == 2  # what the host still holds: the last good set


def test_a_refused_report_fails_the_run_but_keeps_the_directory(jitsuin, pki, tmp_path, capsys):
    serve_now(jitsuin, pki, [])
    jitsuin.published.post_status = 401
    token = token_file(tmp_path)
    assert sync(jitsuin, pki, tmp_path, "--report-token-file", str(token)) == 1
    out = capsys.readouterr()
    assert "loaded CRL" in out.out  # the directory was written all the same
    assert "report to jitsuin failed:" in out.err and "HTTP 401 invalid_token" in out.err
    assert (tmp_path / "j" / "crls.pem").exists()


def test_a_looping_agent_says_a_report_failure_once_and_when_it_works_again(
    jitsuin, pki, tmp_path, capsys, monkeypatch
):
    serve_now(jitsuin, pki, [])
    jitsuin.published.post_status = 503
    passes = iter([None, None, None])

    def sleep(_seconds: float) -> None:
        try:
            next(passes)
        except StopIteration:
            raise KeyboardInterrupt from None
        if len(jitsuin.published.posts) == 2:
            jitsuin.published.post_status = 200

    monkeypatch.setattr(command.time, "sleep", sleep)
    token = token_file(tmp_path)
    assert sync(jitsuin, pki, tmp_path, "--report-token-file", str(token), "--interval", "1") == 0
    captured = capsys.readouterr()
    assert captured.err.count("report to jitsuin failed") == 1  # not once per pass
    assert "report to jitsuin works again (status: current)" in captured.out
    assert len(jitsuin.published.posts) == 4


@pytest.mark.parametrize("content", ["", "two words\n", None])
def test_an_unusable_token_file_is_refused_at_start(jitsuin, pki, tmp_path, capsys, content):
    path = tmp_path / "report-token"
    if content is not None:
        path.write_text(content)
    assert sync(jitsuin, pki, tmp_path, "--report-token-file", str(path)) == 2
    assert "--report-token-file" in capsys.readouterr().err
    assert jitsuin.published.answers == []  # nothing fetched
