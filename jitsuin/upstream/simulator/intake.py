"""An uploaded application file, line by line: the service's known refusals (212, 371) and
the simulator's own format checks (codes 9xx, marked as the simulator's in their text)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from jitsuin.upstream.applications import COLUMNS, ENCODING, MAX_DN_LENGTH, Application, ApplyType
from jitsuin.upstream.results import PageRow
from jitsuin.upstream.simulator.authority import PROFILES, parse_dn
from jitsuin.upstream.simulator.config import Settings, SimulatorError
from jitsuin.upstream.simulator.store import Certificate

# The simulator's own codes: the real list is not public (docs/upstream-simulator.md).
OWN = "（シミュレータ独自のエラー）"
NOT_CP932, COLUMN_COUNT, BAD_FIELD, UNKNOWN_SERIAL = "901", "902", "903", "904"


@dataclass(frozen=True)
class Checked:
    rows: list[PageRow]
    accepted: list[tuple[int, str, Application]]  # seq, CN+OU key, application

    @property
    def has_errors(self) -> bool:
        return any(not row.ok for row in self.rows)


def name_key(name: x509.Name) -> str:
    """What the service compares for 212 since 2020-07: the CN and the OUs, nothing else."""
    cns = [str(a.value) for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)]
    ous = [str(a.value) for a in name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    return "\t".join(["CN=" + "+".join(cns), *("OU=" + ou for ou in ous)])


def _address(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(local and at and "." in domain and text.isascii() and " " not in text)


def _error(code: str, seq: int, field: str, message: str) -> str:
    return f"{code}:{seq},{field},{message}"


def _check_line(
    seq: int,
    apply_type: ApplyType,
    application: Application,
    settings: Settings,
    taken: Callable[[str], bool],
    by_serial: Callable[[str], Certificate | None],
) -> tuple[str, str]:
    """(error text or "", CN+OU key) for one line."""
    if not application.dn or len(application.dn) > MAX_DN_LENGTH:
        return _error(
            BAD_FIELD, seq, "主体者DN", f"DNが空か{MAX_DN_LENGTH}文字を超えています。{OWN}"
        ), ""
    try:
        name = parse_dn(application.dn)
    except SimulatorError:
        return _error(BAD_FIELD, seq, "主体者DN", f"DNの形式が正しくありません。{OWN}"), ""
    key = name_key(name)
    if not name.get_attributes_for_oid(NameOID.COMMON_NAME):
        return _error(BAD_FIELD, seq, "主体者DN", f"DNにCNがありません。{OWN}"), key
    ous = [str(a.value) for a in name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    if not any(ou in settings.allowed_ous for ou in ous):
        return _error("371", seq, "主体者DN", "OUが許可リストに登録されていません。"), key
    if apply_type is not ApplyType.REVOKE:
        if application.profile_id not in PROFILES:
            return _error(
                BAD_FIELD, seq, "プロファイルID", f"5または7を指定してください。{OWN}"
            ), key
        if not all(_address(a) for a in (application.user_email, application.admin_email)):
            return _error(BAD_FIELD, seq, "メールアドレス", f"メールアドレスが不正です。{OWN}"), key
    if apply_type is ApplyType.ISSUE:
        if taken(key):
            return _error("212", seq, "主体者DN", "指定したDNはすでに存在しています。"), key
        return "", key
    old = by_serial(application.serial) if application.serial.isdigit() else None
    if old is None or old.state not in (5, 6) or name_key(parse_dn(old.dn)) != key:
        return _error(
            UNKNOWN_SERIAL,
            seq,
            "シリアル番号",
            f"このDNの有効な証明書のシリアル番号（10進）ではありません。{OWN}",
        ), key
    return "", key


def check_file(
    data: bytes,
    apply_type: ApplyType,
    settings: Settings,
    *,
    taken: Callable[[str], bool],
    by_serial: Callable[[str], Certificate | None],
) -> Checked:
    """Every line's result; a file that is not cp932 is one NG row (line 1)."""
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError:
        row = PageRow(
            1, False, _error(NOT_CP932, 1, "ファイル", f"Shift_JIS（cp932）ではありません。{OWN}")
        )
        return Checked([row], [])
    rows: list[PageRow] = []
    accepted: list[tuple[int, str, Application]] = []
    in_file: set[str] = set()
    lines = [line for line in text.splitlines() if line.strip()]
    for seq, line in enumerate(lines, start=1):
        cells = line.split("\t")
        if len(cells) != COLUMNS:
            message = f"項目数が{len(cells)}です（{COLUMNS}項目が必要です）。{OWN}"
            rows.append(PageRow(seq, False, _error(COLUMN_COUNT, seq, "ファイル", message)))
            continue
        application = Application(cells[0], *cells[1:6], *cells[7:15])
        error, key = _check_line(
            seq,
            apply_type,
            application,
            settings,
            lambda k: k in in_file or taken(k),
            by_serial,
        )
        if not error and apply_type is ApplyType.ISSUE:
            in_file.add(key)
        if not error:
            accepted.append((seq, key, application))
        rows.append(
            PageRow(
                seq,
                not error,
                error,
                institution=settings.institution,
                department=application.user_department,
                name=application.user_name,
                email=application.user_email,
            )
        )
    if not lines:
        rows.append(
            PageRow(1, False, _error(COLUMN_COUNT, 1, "ファイル", f"申請がありません。{OWN}"))
        )
    return Checked(rows, accepted)
