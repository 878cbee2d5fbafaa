"""What a portal needs of the service's HTML pages: their forms (action, hidden inputs), their
frames and links, and their text. Read with the standard library's HTML parser, whatever the
layout around them (no regular expressions over HTML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

ENCODING = "euc_jp"  # the service's pages


@dataclass
class Form:
    name: str
    action: str
    method: str  # lower case
    enctype: str
    hidden: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    forms: list[Form] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)  # <frame src>, in page order
    paragraphs: list[str] = field(default_factory=list)  # each <p>'s text, blank ones left out
    text: str = ""

    def form(self, name: str = "") -> Form | None:
        """The form called ``name``, or the first form when no name is given."""
        if not name:
            return self.forms[0] if self.forms else None
        return next((f for f in self.forms if f.name == name), None)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._form: Form | None = None
        self._paragraph: list[str] | None = None
        self._text: list[str] = []
        self._skip = 0  # inside <title>, <script>, <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag in {"title", "script", "style"}:
            self._skip += 1
        elif tag == "form":
            self._form = Form(
                name=a.get("name", ""),
                action=a.get("action", ""),
                method=(a.get("method") or "get").lower(),
                enctype=a.get("enctype", ""),
            )
            self.page.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("type", "").lower() == "hidden":
            if a.get("name"):
                self._form.hidden[a["name"]] = a.get("value", "")
        elif tag in {"frame", "iframe"} and a.get("src"):
            self.page.frames.append(a["src"])
        elif tag == "p":
            self._close_paragraph()
            self._paragraph = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"title", "script", "style"}:
            self._skip = max(0, self._skip - 1)
        elif tag == "form":
            self._form = None
        elif tag in {"p", "body"}:
            self._close_paragraph()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self._text.append(data)
        if self._paragraph is not None:
            self._paragraph.append(data)

    def _close_paragraph(self) -> None:
        if self._paragraph is not None:
            text = " ".join("".join(self._paragraph).split())
            if text:
                self.page.paragraphs.append(text)
            self._paragraph = None

    def close(self) -> None:
        super().close()
        self._close_paragraph()
        self.page.text = " ".join(" ".join(self._text).split())


def read_page(data: bytes, encoding: str = ENCODING) -> Page:
    reader = _Reader()
    reader.feed(data.decode(encoding, errors="replace"))
    reader.close()
    return reader.page


def error_text(page: Page) -> str:
    """An error page's message as it says it: its first paragraph, else all its text."""
    return page.paragraphs[0] if page.paragraphs else page.text
