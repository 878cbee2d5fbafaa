"""`jitsuin user import FILE`: UTF-8 and cp932, Japanese headers, all or nothing, dry run, caps;
`jitsuin user deactivate|reactivate UID`."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Leaver, LeaverState, Person

pytestmark = pytest.mark.django_db

JAPANESE = (
    "ユーザID,メールアドレス,氏名,氏名カナ,name,所属,有効\r\n"
    "s2301001,s2301001@example.ac.jp,山田 太郎,やまだ たろう,Taro Yamada,工学部,1\r\n"
    "s2301002,s2301002@example.ac.jp,髙橋 花子,ﾀｶﾊｼ ﾊﾅｺ,Hanako Takahashi,理学部,\r\n"
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("user", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path: Path, text: str, encoding: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "said"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8 (BOM)"), ("cp932", "cp932")]
)
def test_japanese_names_are_read_in_each_encoding(tmp_path, encoding, said):
    out = run("import", str(write(tmp_path, JAPANESE, encoding)))
    assert f"encoding: {said}" in out
    assert "created: 2, updated: 0, unchanged: 0" in out
    taro = Person.objects.get(uid="s2301001")
    names = (taro.name_ja, taro.name_kana, taro.name_en)
    assert names == ("山田 太郎", "ヤマダ タロウ", "Taro Yamada")
    assert taro.affiliation == "工学部" and taro.active
    assert Person.objects.get(uid="s2301002").name_kana == "タカハシ ハナコ"
    assert AuditEvent.objects.filter(action="person.added").count() == 2


def test_a_second_import_updates_unchanges_and_deactivates(tmp_path):
    run("import", str(write(tmp_path, JAPANESE, "utf-8")))
    second = "uid,email,affiliation,active\ns2301001,,情報学部,\ns2301002,,,いいえ\n"
    out = run("import", str(write(tmp_path, second, "utf-8")))
    assert "created: 0, updated: 1, unchanged: 0, deactivated: 1, reactivated: 0" in out
    assert Person.objects.get(uid="s2301001").affiliation == "情報学部"
    hanako = Person.objects.get(uid="s2301002")
    assert not hanako.active
    # Through the leaver flow (grace 0: done at once).
    leaver = Leaver.objects.get(person=hanako)
    assert leaver.state == LeaverState.DONE and leaver.reason == "CSV import"
    again = run("import", str(write(tmp_path, "uid,active\ns2301002,1\n", "utf-8")))
    assert "reactivated: 1" in again
    assert Person.objects.get(uid="s2301002").active


def test_unknown_headers_are_named(tmp_path):
    text = "uid,メールアドレス,学籍番号,favourite\nx,x@example.ac.jp,1,2\n"
    path = write(tmp_path, text, "utf-8")
    with pytest.raises(CommandError, match="unknown column.*学籍番号, favourite"):
        run("import", str(path))
    assert not Person.objects.exists()


def test_a_bad_line_in_the_middle_applies_nothing_and_names_the_line(tmp_path):
    text = (
        "uid,email,name_ja\n"
        "a1,a1@example.ac.jp,一\n"
        "a2,not-an-address,二\n"
        "a3,a3@example.ac.jp,三\n"
        "a1,a1@example.ac.jp,重複\n"
    )
    out = StringIO()
    with pytest.raises(CommandError, match="2 line\\(s\\) with errors: nothing was imported"):
        call_command("user", "import", str(write(tmp_path, text, "utf-8")), stdout=out)
    assert "line 3: not an e-mail address" in out.getvalue()
    assert "line 5: uid a1 is on line 2 too" in out.getvalue()
    assert not Person.objects.exists()


def test_dry_run_changes_nothing(tmp_path):
    Person.objects.create(uid="s2301001", email="old@example.ac.jp")
    out = run("import", str(write(tmp_path, JAPANESE, "cp932")), "--dry-run")
    assert out.startswith("dry run: nothing was changed")
    assert "created: 1, updated: 1" in out
    assert Person.objects.count() == 1
    assert Person.objects.get(uid="s2301001").email == "old@example.ac.jp"


def test_size_caps_refuse_before_parsing(tmp_path):
    path = write(tmp_path, JAPANESE, "utf-8")
    with pytest.raises(CommandError, match="at most 10 are imported"):
        run("import", str(path), "--max-bytes", "10")
    with pytest.raises(CommandError, match="2 lines after the header; at most 1"):
        run("import", str(path), "--max-rows", "1")
    assert not Person.objects.exists()


def test_undecodable_and_missing_files_are_one_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"uid\n\x82\xff\x82\n")
    with pytest.raises(CommandError, match="not utf-8 or cp932 text"):
        run("import", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        run("import", str(tmp_path / "missing.csv"))


def test_deactivate_and_reactivate_from_the_command_line():
    Person.objects.create(uid="bob", email="bob@example.ac.jp")
    assert "deactivated bob" in run("deactivate", "bob", "--reason", "graduated")
    assert not Person.objects.get(uid="bob").active
    assert "certificates stay revoked" in run("reactivate", "bob")
    assert "active already" in run("reactivate", "bob")
    with pytest.raises(CommandError, match="no person with uid 'nobody'"):
        run("deactivate", "nobody")


def test_the_commands_have_help():
    result = subprocess.run(
        [sys.executable, "-m", "jitsuin", "user", "import", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--dry-run" in result.stdout and "--encoding" in result.stdout
