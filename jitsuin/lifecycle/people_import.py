"""A directory CSV (UTF-8 with or without BOM, or cp932 from Excel) read into people.

Every line is checked first (:func:`read_rows`, :func:`plan`); only a file without errors is
applied, in one transaction (:func:`apply`): nothing is half-applied. A row with ``active``
false goes through ``leavers.deactivate``, ``active`` true for an inactive person through
``leavers.reactivate``: the leaver flow is the same as from the CLI or SCIM.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from jitsuin.lifecycle import leavers
from jitsuin.lifecycle.models import Person
from jitsuin.lifecycle.people import add_person, kana_reading, update_person

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
ENCODINGS = ("auto", "utf-8", "cp932")

# Column -> the headers that name it (compared after NFKC, trimming and lower-casing).
ALIASES: dict[str, tuple[str, ...]] = {
    "uid": ("uid", "user_id", "userid", "username", "ユーザid", "ユーザーid", "利用者id"),
    "email": ("email", "e-mail", "mail", "メールアドレス", "メール"),
    "name_ja": ("name_ja", "氏名", "名前"),
    "name_en": ("name_en", "name", "氏名(英字)", "英字氏名", "ローマ字氏名"),
    "name_kana": ("name_kana", "kana", "氏名カナ", "フリガナ", "カナ", "氏名(カナ)"),
    "affiliation": ("affiliation", "department", "所属"),
    "language": ("language", "lang", "言語"),
    "active": ("active", "有効", "在籍"),
}
_BY_HEADER = {alias: column for column, names in ALIASES.items() for alias in names}
TRUE = frozenset({"1", "true", "yes", "y", "はい", "有効", "在籍"})
FALSE = frozenset({"0", "false", "no", "n", "いいえ", "無効", "退職", "離籍"})
DIRECTORY_FIELDS = ("email", "name_ja", "name_en", "name_kana", "affiliation")
DEACTIVATION_REASON = "CSV import"


class ImportRefused(ValueError):
    """The file as a whole cannot be read (size, encoding, header)."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]
    active: bool | None


@dataclass
class Summary:
    encoding: str = ""
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    deactivated: list[int] = field(default_factory=list)
    reactivated: list[int] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        counts = [
            f"{name}: {len(getattr(self, name))}"
            for name in ("created", "updated", "unchanged", "deactivated", "reactivated")
        ]
        out = [f"encoding: {self.encoding}", ", ".join(counts) + f", errors: {len(self.errors)}"]
        out += [f"line {line}: {message}" for line, message in self.errors]
        return out


def check_size(size: int, *, max_bytes: int = MAX_BYTES) -> None:
    if size > max_bytes:
        raise ImportRefused(f"the file has {size} bytes; at most {max_bytes} are imported")


def decode(data: bytes, encoding: str = "auto", *, max_rows: int = MAX_ROWS) -> tuple[str, str]:
    """The text and the name of the encoding it was read in; refused before any parsing
    when it has more lines than ``max_rows`` (plus the header)."""
    if encoding not in ENCODINGS:
        raise ImportRefused(f"unknown encoding {encoding!r} (use {', '.join(ENCODINGS)})")
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if lines - 1 > max_rows:
        raise ImportRefused(f"the file has {lines - 1} lines after the header; at most {max_rows}")
    tries = ("utf-8", "cp932") if encoding == "auto" else (encoding,)
    for name in tries:
        try:
            text = data.decode("utf-8-sig" if name == "utf-8" else name)
        except UnicodeDecodeError:
            continue
        bom = name == "utf-8" and data.startswith(b"\xef\xbb\xbf")
        return text, f"{name} (BOM)" if bom else name
    raise ImportRefused(f"the file is not {' or '.join(tries)} text")


def _header_key(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower().replace(" ", "")


def columns(header: list[str]) -> list[str]:
    """The column each header names; unknown or repeated ones refuse the file."""
    mapped = [_BY_HEADER.get(_header_key(name)) for name in header]
    unknown = [name for name, column in zip(header, mapped, strict=True) if column is None]
    if unknown:
        known = ", ".join(ALIASES)
        raise ImportRefused(f"unknown column(s): {', '.join(unknown)} (known: {known})")
    found = [column for column in mapped if column is not None]
    repeated = sorted({column for column in found if found.count(column) > 1})
    if repeated:
        raise ImportRefused(f"column(s) given twice: {', '.join(repeated)}")
    if "uid" not in found:
        raise ImportRefused("the header has no uid column (uid, ユーザID)")
    return found


def _active(raw: str) -> bool | None:
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"active must be 1/0, true/false or はい/いいえ, not {raw!r}")


def _row(line: int, names: list[str], cells: list[str]) -> Row:
    if len(cells) != len(names):
        raise ValueError(f"{len(cells)} fields where the header has {len(names)}")
    values = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
    active = _active(values.pop("active", ""))
    if not values.get("uid"):
        raise ValueError("no uid")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError as exc:
            raise ValueError(f"not an e-mail address: {values['email']!r}") from exc
    if values.get("language", "ja") not in ("", "ja", "en"):
        raise ValueError(f"language must be ja or en, not {values['language']!r}")
    if values.get("name_kana"):
        values["name_kana"] = kana_reading(values["name_kana"])
    return Row(line, values, active)


def read_rows(text: str, summary: Summary, tick: Callable[[], None] = lambda: None) -> list[Row]:
    """Every data line checked; errors go to ``summary.errors`` with their line numbers."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ImportRefused("the file is empty")
    names = columns(header)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for cells in reader:
        tick()
        if not any(cell.strip() for cell in cells):
            continue
        try:
            row = _row(reader.line_num, names, cells)
            uid = row.values["uid"]
            if uid in seen:
                raise ValueError(f"uid {uid} is on line {seen[uid]} too")
            seen[uid] = reader.line_num
            rows.append(row)
        except ValueError as exc:
            summary.errors.append((reader.line_num, str(exc)))
    return rows


def plan(rows: Iterable[Row], summary: Summary) -> None:
    """What applying would do to each row (``summary``); new people need an e-mail."""
    people = {p.uid: p for p in Person.objects.filter(uid__in=[r.values["uid"] for r in rows])}
    for row in rows:
        person = people.get(row.values["uid"])
        if person is None:
            if not row.values.get("email"):
                summary.errors.append((row.line, "a new person needs an e-mail address"))
                continue
            summary.created.append(row.line)
            if row.active is False:
                summary.deactivated.append(row.line)
            continue
        changes = [
            name
            for name in DIRECTORY_FIELDS
            if row.values.get(name) and getattr(person, name) != row.values[name]
        ]
        if row.active is False and person.active:
            summary.deactivated.append(row.line)
        elif row.active is True and not person.active:
            summary.reactivated.append(row.line)
        elif not changes:
            summary.unchanged.append(row.line)
        if changes:
            summary.updated.append(row.line)


def apply(rows: Iterable[Row], *, actor: str, tick: Callable[[], None] = lambda: None) -> None:
    """Apply checked rows in one transaction (any error leaves everything as it was)."""
    with transaction.atomic():
        for row in rows:
            tick()
            values = row.values
            person = Person.objects.filter(uid=values["uid"]).first()
            if person is None:
                person = add_person(
                    values["uid"],
                    email=values["email"],
                    actor=actor,
                    **{name: values.get(name, "") for name in DIRECTORY_FIELDS[1:]},
                    language=values.get("language") or "ja",
                )
            else:
                fields = {name: values[name] for name in DIRECTORY_FIELDS if values.get(name)}
                update_person(person, actor=actor, **fields)
                person.refresh_from_db()
            if row.active is False and person.active:
                leavers.deactivate(person, actor=actor, reason=DEACTIVATION_REASON)
            elif row.active is True and not person.active:
                leavers.reactivate(person, actor=actor)
