"""The text of a campaign e-mail: the operator's whole subject and body, with placeholders.

The operator writes the entire mail; jitsuin fills in a fixed set of placeholders written
``{{ name }}``. The text is checked when it is saved (:func:`check_template`): only these
placeholders, no tags, filters, comments or attribute look-ups, and a size cap. It is then
rendered by Django's template engine with a ``Context`` that holds only the placeholder
values (all plain strings), so nothing else of jitsuin is reachable from the text.

A campaign without its own body gets :data:`DEFAULT_BODIES` (per language), which uses every
placeholder. Reminders always use :data:`REMINDER_BODIES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.template import Context, Engine, Template
from django.template.base import Lexer, TokenType
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.lifecycle.errors import NotAllowed

PLACEHOLDERS = ("name", "deadline", "serial", "link", "old_ca", "new_ca", "helpdesk")
MAX_BODY = 10_000
MAX_SUBJECT = 200
SAMPLE_SERIAL = "0A 1B 2C 3D 4E 5F 60 71"
_VAR = re.compile(r"^\s*([a-z_]+)\s*$")
# check_template admits no tag, filter or attribute, so nothing but the values is reachable.
_ENGINE = Engine(autoescape=False, string_if_invalid="", builtins=[], libraries={})
_WEEKDAYS_JA = "月火水木金土日"

DEFAULT_SUBJECTS = {
    "ja": "【要対応】{{ deadline }}までにクライアント証明書を切り替えてください",
    "en": "Action needed: replace your client certificate by {{ deadline }}",
}
DEFAULT_BODIES = {
    "ja": """{{ name }} 様

クライアント証明書を発行している中間認証局を切り替えます。
{{ deadline }}に旧中間認証局（{{ old_ca }}）を失効させます。この時点から、
お使いの証明書（シリアル番号 {{ serial }}）は有効期限にかかわらず、
学内無線LAN・SSL-VPN・SSO などで使えなくなります。

期限までに、次のポータルで新しい証明書を発行し、証明書を使っているすべての端末・ブラウザに取り込んでください。
{{ link }}

新しい証明書（{{ new_ca }} が発行）を取り込むまでは、今の証明書をそのままお使いいただけます。
切り替えた後は、古い証明書と古い無線LANの設定を端末から削除してください。
ご不明な点は、ヘルプデスク（{{ helpdesk }}）までお問い合わせください。
""",
    "en": """Dear {{ name }},

The intermediate CA that issues client certificates is being replaced.
On {{ deadline }} the old intermediate CA ({{ old_ca }}) will be revoked.
From then on your certificate (serial number {{ serial }}) will stop working
for campus Wi-Fi, SSL-VPN, SSO and other services, whatever its own expiry date.

Before then, please issue a new certificate in the portal and install it on every device and
browser that uses a certificate:
{{ link }}

Your current certificate keeps working until you have installed the new one
(issued by {{ new_ca }}).
After switching, delete the old certificate and the old Wi-Fi settings from your devices.
If you have questions, please contact the helpdesk ({{ helpdesk }}).
""",
}
REMINDER_SUBJECTS = {
    "ja": "【再度のお願い】{{ deadline }}までにクライアント証明書を切り替えてください",
    "en": "Reminder: replace your client certificate by {{ deadline }}",
}
REMINDER_BODIES = {
    "ja": """{{ name }} 様

クライアント証明書の切り替えがまだ完了していません。
{{ deadline }}に旧中間認証局（{{ old_ca }}）を失効させると、お使いの証明書
（シリアル番号 {{ serial }}）では学内無線LAN・SSL-VPN・SSO などが使えなくなります。

次のポータルで新しい証明書を発行・ダウンロードし、端末に取り込んでください。
{{ link }}

手続き中に問題があれば、ヘルプデスク（{{ helpdesk }}）までお問い合わせください。
このお知らせは、新しい中間認証局（{{ new_ca }}）の有効な証明書を
お持ちでない方にだけお送りしています。
""",
    "en": """Dear {{ name }},

You have not yet replaced your client certificate.
On {{ deadline }} the old intermediate CA ({{ old_ca }}) will be revoked,
and your certificate (serial number {{ serial }}) will stop working
for campus Wi-Fi, SSL-VPN, SSO and other services.

Please issue and download a new certificate in the portal and install it on your devices:
{{ link }}

If something goes wrong, please contact the helpdesk ({{ helpdesk }}).
This reminder goes only to people who do not yet hold a valid certificate from the new
intermediate CA ({{ new_ca }}).
""",
}


class BadTemplate(NotAllowed):
    code = "bad_template"


def known() -> str:
    """The placeholders as they are written, for help texts and errors."""
    return ", ".join(_spelled(name) for name in PLACEHOLDERS)


def _spelled(name: str) -> str:
    return "{{ " + name + " }}"


def check_template(text: str, *, limit: int = MAX_BODY) -> None:
    """Refuse a text with anything but the known ``{{ placeholders }}`` (BadTemplate names it)."""
    if len(text) > limit:
        raise BadTemplate(
            _("The text is too long: %(n)s characters (at most %(limit)s).")
            % {"n": len(text), "limit": limit}
        )
    for token in Lexer(text).tokenize():
        if token.token_type == TokenType.VAR:
            match = _VAR.match(token.contents)
            if match and match.group(1) in PLACEHOLDERS:
                continue
            raise BadTemplate(
                _("Unknown placeholder %(placeholder)s; use only %(known)s.")
                % {"placeholder": _spelled(token.contents.strip()), "known": known()}
            )
        if token.token_type in (TokenType.BLOCK, TokenType.COMMENT):
            raise BadTemplate(
                _("%(tag)s is not allowed in a campaign text; use only %(known)s.")
                % {
                    "tag": token.token_type.name.lower() + ": " + token.contents[:40],
                    "known": known(),
                }
            )


def check_texts(texts: dict[str, str]) -> None:
    """``check_template`` for each subject and body a campaign stores."""
    for field, value in texts.items():
        check_template(value or "", limit=MAX_SUBJECT if field.startswith("subject") else MAX_BODY)


def format_deadline(when: datetime, language: str) -> str:
    """``2026年12月3日（木）19:51`` or ``Thursday 3 December 2026, 19:51 (Japan time)``."""
    local = timezone.localtime(when)
    if language == "ja":
        weekday = _WEEKDAYS_JA[local.weekday()]
        return f"{local.year}年{local.month}月{local.day}日（{weekday}）{local:%H:%M}"
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} (Japan time)"


@dataclass(frozen=True)
class Values:
    """What the placeholders stand for, for one recipient in one language."""

    name: str
    deadline: str
    serial: str
    link: str
    old_ca: str
    new_ca: str
    helpdesk: str


@lru_cache(maxsize=64)
def _compiled(text: str) -> Template:
    """Checked and compiled once per text: a chunk renders the same text for 500 people."""
    check_template(text, limit=max(MAX_BODY, len(text)))
    return Template(text, engine=_ENGINE)


def render(text: str, values: Values) -> str:
    """The text with its placeholders filled in; refuses (BadTemplate) what the check would."""
    context = Context({name: getattr(values, name) for name in PLACEHOLDERS}, autoescape=False)
    return _compiled(text).render(context)
