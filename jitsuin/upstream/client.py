"""The registration officer's HTTPS client: the upload (the pages Kyoto University's portal
walks through), the status list, and the one-time download URLs of the notices.

Every answer's body is read up to ``transport.MAX_BODY_BYTES`` (10 MB) and no further, and a
ZIP's members up to ``MAX_MEMBER_BYTES`` each and ``MAX_MEMBERS`` in all, whatever their headers
claim: a zip bomb is refused, not expanded. Nothing here logs; ``PinLine.pin`` and
``BulkFile.p12`` are left out of their ``repr``.
"""

from __future__ import annotations

import io
import secrets
import ssl
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from jitsuin.upstream import status_list as status_list_format
from jitsuin.upstream.applications import ApplyType
from jitsuin.upstream.forms import Form
from jitsuin.upstream.results import UploadResult, parse_result_page
from jitsuin.upstream.transport import (
    Answer,
    UpstreamMaintenance,
    UpstreamRefused,
    UpstreamUnavailable,
    checked,
    exchange,
    session,
)

__all__ = [
    "BulkFile",
    "OfficerClient",
    "PinLine",
    "UpstreamMaintenance",
    "UpstreamRefused",
    "UpstreamUnavailable",
    "fetch_bulk",
    "fetch_pins",
    "officer_context",
]

LRA = "/upki-odcert/lra"
LOGIN, STATUS_LIST = f"{LRA}/SSLLogin.do", f"{LRA}/syomeiDL_S_Cli.do"
MENU_FORM, UPLOAD_FORM = "MainMenuForm", "SP1011"  # forwardName=SP1011: 発行・更新・失効
STOP_ON_ERRORS, SKIP_BAD_LINES = "1", "2"  # errorFlg
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/octet-stream"}
MAX_STEPS = 4  # pages before a one-time URL's file (the service has two form steps)
MAX_MEMBERS, MAX_MEMBER_BYTES = 16, 1024 * 1024
TEXT_ENCODING = "cp932"
PIN_COLUMNS = ("氏名", "メールアドレス", "アクセスPIN", "主体者DN")
CLIENT_COLUMNS = ("シリアル番号", "氏名", "メールアドレス", "主体者DN")
CLIENT_FILE = "client.txt"


@dataclass(frozen=True)
class PinLine:
    name: str
    email: str
    pin: str = field(repr=False)
    dn: str


@dataclass(frozen=True)
class BulkFile:
    serial: str  # decimal
    name: str
    email: str
    dn: str
    p12: bytes = field(repr=False)
    p12_name: str  # the .p12 member's name without ".p12" (the application's PKCS#12 name)


def officer_context(ca_file: Path, cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """TLS trusting only ``ca_file`` for the service, presenting the officer's certificate."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert_file), str(key_file))
    return context


def _multipart(fields: dict[str, str], file_field: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----jitsuin-" + secrets.token_hex(12)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode(
            "euc_jp"
        )
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        'filename="apply.tsv"\r\nContent-Type: application/force-download\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def _form(answer: Answer, name: str = "") -> Form:
    form = answer.page().form(name) if answer.is_html else None
    if form is None:
        raise UpstreamUnavailable(
            f"the page at {urllib.parse.urlsplit(answer.url).path} has no form {name}".rstrip()
        )
    return form


@dataclass
class OfficerClient:
    """The officer's pages behind mutual TLS; ``context`` carries the officer's certificate
    (``officer_context``). Each call is a fresh session, as a person's visit would be."""

    base_url: str  # e.g. https://127.0.0.1:8443
    context: ssl.SSLContext
    timeout: float = 30.0

    def _get(self, opener: urllib.request.OpenerDirector, url: str) -> Answer:
        return checked(exchange(opener, url, timeout=self.timeout), one_time=False)

    def _post(
        self, opener: urllib.request.OpenerDirector, url: str, data: bytes, content_type: str
    ) -> Answer:
        answer = exchange(opener, url, timeout=self.timeout, data=data, content_type=content_type)
        return checked(answer, one_time=False)

    def _login(self, opener: urllib.request.OpenerDirector) -> Answer:
        """SSLLogin.do (the certificate is the login): a frameset whose frame is the menu."""
        login = self._get(opener, self.base_url.rstrip("/") + LOGIN)
        frames = login.page().frames if login.is_html else []
        if not frames:
            return login
        menu = next((src for src in frames if "menu" in src.lower()), frames[0])
        return self._get(opener, urllib.parse.urljoin(login.url, menu))

    def upload(
        self, apply_type: ApplyType, tsv: bytes, *, stop_on_error: bool = True
    ) -> UploadResult:
        """Login, the menu's 発行・更新・失効, the upload form (multipart: applyType, errorFlg,
        file): the result page, read. ``stop_on_error``: one bad line refuses the whole file."""
        opener = session(self.context)
        menu = self._login(opener)
        menu_form = _form(menu, MENU_FORM)
        chosen = {**menu_form.hidden, "forwardName": UPLOAD_FORM}
        upload_page = self._post(
            opener,
            urllib.parse.urljoin(menu.url, menu_form.action),
            urllib.parse.urlencode(chosen).encode(),
            "application/x-www-form-urlencoded",
        )
        form = _form(upload_page, UPLOAD_FORM)
        fields = {
            **form.hidden,
            "applyType": str(int(apply_type)),
            "errorFlg": STOP_ON_ERRORS if stop_on_error else SKIP_BAD_LINES,
        }
        body, content_type = _multipart(fields, "file", tsv)
        url = urllib.parse.urljoin(upload_page.url, form.action)
        answer = self._post(opener, url, body, content_type)
        if not answer.is_html:
            raise UpstreamUnavailable(f"the upload answered {answer.content_type}, not a page")
        try:
            result = parse_result_page(answer.body)
        except ValueError as exc:
            raise UpstreamUnavailable(str(exc)) from exc
        if not result.accepted and not any(not line.ok for line in result.lines):
            raise UpstreamUnavailable("the upload's answer is neither its result nor its errors")
        return result

    def status_list(self) -> list[status_list_format.Entry]:
        """The institution's certificate list (cp932 TSV), after the login page."""
        opener = session(self.context)
        self._login(opener)
        answer = self._get(opener, self.base_url.rstrip("/") + STATUS_LIST)
        if answer.is_html:
            raise UpstreamUnavailable("the status list answered a page, not the list")
        try:
            return status_list_format.parse_tsv(answer.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise UpstreamUnavailable(f"the status list cannot be read: {exc}") from exc


def _file_behind(url: str, context: ssl.SSLContext, timeout: float) -> bytes:
    """Follow a one-time URL's pages (each one form of hidden fields) to its ZIP."""
    opener = session(context)
    answer = checked(exchange(opener, url, timeout=timeout), one_time=True)
    for _ in range(MAX_STEPS):
        if answer.content_type in ZIP_TYPES:
            return answer.body
        form = _form(answer)
        target = urllib.parse.urljoin(answer.url, form.action)
        data = urllib.parse.urlencode(form.hidden).encode()
        if form.method == "post":
            sent = exchange(
                opener,
                target,
                timeout=timeout,
                data=data,
                content_type="application/x-www-form-urlencoded",
            )
        else:
            sent = exchange(opener, f"{target}?{data.decode()}", timeout=timeout)
        answer = checked(sent, one_time=True)
    if answer.content_type in ZIP_TYPES:
        return answer.body
    raise UpstreamUnavailable(f"no file after {MAX_STEPS} pages")


def _members(archive: bytes) -> dict[str, bytes]:
    """The ZIP's files, each read up to ``MAX_MEMBER_BYTES`` whatever its header says."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            infos = [info for info in zipped.infolist() if not info.is_dir()]
            if len(infos) > MAX_MEMBERS:
                raise UpstreamUnavailable(f"a ZIP of {len(infos)} files is not the service's")
            members = {}
            for info in infos:
                if info.file_size > MAX_MEMBER_BYTES:
                    raise UpstreamUnavailable(f"a ZIP member of {info.file_size} bytes")
                with zipped.open(info) as member:
                    data = member.read(MAX_MEMBER_BYTES + 1)
                if len(data) > MAX_MEMBER_BYTES:
                    raise UpstreamUnavailable("a ZIP member bigger than its header says")
                members[info.filename] = data
            return members
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise UpstreamUnavailable(f"the file is not a ZIP the client can read: {exc}") from exc


def _table(data: bytes, columns: tuple[str, ...], what: str) -> list[list[str]]:
    """A cp932 text file's rows, their cells in the order of ``columns`` (found by the header)."""
    try:
        text = data.decode(TEXT_ENCODING)
    except UnicodeDecodeError as exc:
        raise UpstreamUnavailable(f"the {what} is not cp932 text") from exc
    lines = [line.split("\t") for line in text.splitlines() if line.strip()]
    if not lines or any(column not in lines[0] for column in columns):
        raise UpstreamUnavailable(f"the {what}'s header names no {', '.join(columns)}")
    at = [lines[0].index(column) for column in columns]
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if len(cells) < len(lines[0]):
            raise UpstreamUnavailable(f"the {what}'s line {number} has {len(cells)} cells")
        rows.append([cells[i].strip() for i in at])
    return rows


def fetch_pins(url: str, *, context: ssl.SSLContext, timeout: float = 30.0) -> list[PinLine]:
    """The アクセスPIN発行通知's URL: its two form steps, then the ZIP's one cp932 text file
    (氏名, メールアドレス, アクセスPIN, 主体者DN). The URL serves once: a second call raises
    ``UpstreamRefused`` (410)."""
    members = _members(_file_behind(url, context, timeout))
    if len(members) != 1:
        raise UpstreamUnavailable(f"the PIN ZIP holds {len(members)} files, not one")
    (data,) = members.values()
    rows = _table(data, PIN_COLUMNS, "PIN file")
    return [PinLine(name=r[0], email=r[1], pin=r[2], dn=r[3]) for r in rows]


def fetch_bulk(url: str, *, context: ssl.SSLContext, timeout: float = 30.0) -> BulkFile:
    """The bulk (download method 2) 発行受付通知's URL: its steps, then the ZIP of
    ``client.txt`` (シリアル番号, 氏名, メールアドレス, 主体者DN) and the one .p12."""
    members = _members(_file_behind(url, context, timeout))
    client = next((data for name, data in members.items() if name.endswith(CLIENT_FILE)), None)
    p12s = [(name, data) for name, data in members.items() if name.lower().endswith(".p12")]
    if client is None or len(p12s) != 1:
        raise UpstreamUnavailable(
            f"the bulk ZIP holds {sorted(members)}, not {CLIENT_FILE} and one .p12"
        )
    rows = _table(client, CLIENT_COLUMNS, CLIENT_FILE)
    if len(rows) != 1:
        raise UpstreamUnavailable(f"{CLIENT_FILE} lists {len(rows)} certificates, not one")
    serial, name, email, dn = rows[0]
    if not serial.isdigit():
        raise UpstreamUnavailable(f"{CLIENT_FILE}'s serial {serial!r} is not decimal")
    member, p12 = p12s[0]
    stem = member.rsplit("/", 1)[-1][: -len(".p12")]
    return BulkFile(serial=serial, name=name, email=email, dn=dn, p12=p12, p12_name=stem)
